import {Flags} from '@oclif/core'

import {UmmahError, UsageError} from '../../shared/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {readFileArgument} from '../../cli/input.js'
import {SCHEME_NAMES} from '../../schemes/catalog.js'
import {schemeFlags, schemeSettings} from '../../cli/scheme-flags.js'

export default class WebhooksVerify extends UmmahCommand {
  static override summary = 'Check a webhook delivery offline: its signature or authentication'
  static override description = `Exit 0 and "valid", or exit 1 and why; exit 2 for bad usage. Schemes: rsa-sha256 (Ummah, the default: X-Signature is base64 RSA PKCS#1 v1.5 over SHA-256 of the exact body; the key is the webhook's public_key, --public-key PEM|@file or --webhook-id, or GET /public_key/ for success_callback), sha1-password (x-signature = upper-case hex SHA-1 of the compact JSON payload + --secret), basic (--username, --password), api-key-headers (up to five --header "name:value"), umm-services (the request headers' documented patterns), oauth2 (--token: the bearer your token endpoint issued). The delivery is --payload FILE|- with --signature, or a whole captured --request FILE|- (headers, blank line, body).`

  static override examples = [
    '<%= config.bin %> webhooks verify --payload body.json --signature "$SIG" --public-key @webhook.pem',
    '<%= config.bin %> webhooks verify --payload - --signature "$SIG" --webhook-id wh-7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928 < body.json',
    '<%= config.bin %> webhooks verify --scheme sha1-password --secret "$SIGNATURE_PASSWORD" --payload body.json --signature 5FDDA8F46411C132DCFBEE53C39BA06298CB48BC',
    '<%= config.bin %> webhooks verify --scheme basic --username hooks --password "$PASS" --request captured.http',
    '<%= config.bin %> webhooks verify --scheme api-key-headers --header "test_header1:value1" --header "test_header2:value2" --request captured.http',
  ]

  static override flags = {
    scheme: Flags.option({summary: 'How the sender authenticates.', options: SCHEME_NAMES, default: 'rsa-sha256'})(),
    payload: Flags.string({summary: 'The delivery body exactly as received: a file, or - for stdin.', exclusive: ['request']}),
    signature: Flags.string({summary: 'The X-Signature header value (with --payload).', dependsOn: ['payload']}),
    request: Flags.string({summary: 'The whole request as captured (headers, blank line, body): a file, or - for stdin.'}),
    'webhook-id': Flags.string({summary: 'rsa-sha256: fetch the public key of this webhook.', exclusive: ['public-key']}),
    ...schemeFlags('verify'),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(WebhooksVerify)
    if (!flags.payload && !flags.request) throw new UsageError('Nothing to verify', 'Pass --payload FILE|- with --signature, or --request FILE|-.')
    const {buildScheme, parseRawRequest} = await import('../../schemes/index.js')
    const request = flags.request
      ? parseRawRequest(await readFileArgument(flags.request, '--request'))
      : {headers: flags.signature === undefined ? {} : {'x-signature': flags.signature}, body: await readFileArgument(flags.payload!, '--payload')}
    const settings = await schemeSettings('verify', flags)
    if (flags['webhook-id']) settings.publicKey = (await this.call('webhooks.retrieve', {params: {id: flags['webhook-id']}})).public_key
    const scheme = buildScheme(flags.scheme, settings, 'verify')
    const verdict = scheme.verify(request)
    if (!verdict.ok) throw new UmmahError(`invalid: ${verdict.reason}`, {code: 'invalid_signature'})
    if (!this.jsonEnabled()) this.print('valid')
    return this.jsonEnabled() ? {valid: true, scheme: scheme.name} : undefined
  }
}
