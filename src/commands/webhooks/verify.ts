import {Flags} from '@oclif/core'

import {ExitCode, UmmahError, UsageError} from '../../api/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {readStdin} from '../../cli/input.js'

export default class WebhooksVerify extends UmmahCommand {
  static override summary = 'Check the X-Signature of a webhook delivery offline'
  static override description =
    "Verifies the base64 RSA PKCS#1 v1.5 signature over SHA-256 of the exact payload bytes, as the gateway signs deliveries. Exit 0 and \"valid\", or exit 1 and why (bad base64, wrong key, modified body). The key is the webhook's public_key (--public-key PEM or @file, or --webhook-id to fetch it), or the company key of GET /public_key/ for success_callback deliveries."

  static override examples = [
    '<%= config.bin %> webhooks verify --payload body.json --signature "$SIG" --public-key @webhook.pem',
    '<%= config.bin %> webhooks verify --payload - --signature "$SIG" --webhook-id wh-7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928 < body.json',
  ]

  static override flags = {
    payload: Flags.string({summary: 'The delivery body exactly as received: a file, or - for stdin.', required: true}),
    signature: Flags.string({summary: 'The X-Signature header value.', required: true}),
    'public-key': Flags.string({summary: 'The public key, as PEM text or @file.', exactlyOne: ['public-key', 'webhook-id']}),
    'webhook-id': Flags.string({summary: 'Fetch the public key of this webhook.', exactlyOne: ['public-key', 'webhook-id']}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(WebhooksVerify)
    const {readFile} = await import('node:fs/promises')
    const readPath = async (path: string, flag: string) =>
      readFile(path).catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`${flag}: cannot read ${path} (${error.code ?? error.message})`, 'Check the path.')
      })
    const body = flags.payload === '-' ? Buffer.from(await readStdin(), 'utf8') : await readPath(flags.payload, '--payload')
    let publicKey: string
    if (flags['webhook-id']) {
      publicKey = (await this.call<{public_key: string}>('webhooks.retrieve', {params: {id: flags['webhook-id']}})).public_key
    } else {
      const given = flags['public-key']!
      publicKey = given.startsWith('@') ? (await readPath(given.slice(1), '--public-key')).toString('utf8') : given
    }
    const {verifyRsaSha256} = await import('../../webhooks/signature.js')
    const verdict = verifyRsaSha256(body, flags.signature, publicKey)
    if (!verdict.ok) throw new UmmahError(`invalid: ${verdict.reason}`, {code: 'invalid_signature', exitCode: ExitCode.unexpected})
    if (!this.jsonEnabled()) process.stdout.write('valid\n')
    return this.jsonEnabled() ? {valid: true} : undefined
  }
}
