import {Args, Flags} from '@oclif/core'

import {UsageError} from '../shared/errors.js'
import {collect} from '../api/paginate.js'
import {UmmahCommand} from '../cli/base-command.js'
import {dryRunFlag, globalFlagsWithout, idempotencyKeyFlag} from '../cli/flags.js'
import {parsePairs, readData} from '../cli/input.js'

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

export default class Api extends UmmahCommand {
  static override summary = 'Send a request to any API path and print the JSON response'
  static override description =
    'Like `gh api`: PATH is relative to the API base (`/purchases/ID/`). Uses the same key, retries, Idempotency-Key and live-key guard as every other command.'

  static override examples = [
    '<%= config.bin %> api GET /balance/',
    `<%= config.bin %> api POST /purchases/ -d '{"brand_id":"409eb80e-3782-4b1d-afa8-b779759266a5","client":{"email":"a@example.com"},"purchase":{"products":[{"name":"T-Shirt","price":2999}],"currency":"USD"}}'`,
    '<%= config.bin %> api GET /webhooks/deliveries/ -q id=d6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e -q source_type=purchase',
    '<%= config.bin %> api DELETE /clients/c1a2b3c4-d5e6-f7a8-b9c0-d1e2f3a4b5c6/ --dry-run',
    'cat client.json | <%= config.bin %> api PATCH /clients/c1a2b3c4-d5e6-f7a8-b9c0-d1e2f3a4b5c6/ -d -',
  ]

  static override alwaysJson = true
  // -q is --query here (as it has always been); api prints no notes for --quiet to silence.
  static override baseFlags = globalFlagsWithout('quiet')

  static override args = {
    method: Args.string({description: `HTTP method: ${METHODS.join(', ')}.`, required: true}),
    path: Args.string({description: 'Path relative to the API base, e.g. /purchases/.', required: true}),
  }

  static override flags = {
    data: Flags.string({char: 'd', summary: 'JSON body: inline JSON, @file, or - for stdin.'}),
    query: Flags.string({char: 'q', summary: 'Query parameter key=value (repeatable).', multiple: true}),
    'idempotency-key': idempotencyKeyFlag,
    paginate: Flags.boolean({summary: 'GET every page, following `next`; prints one page holding every result.'}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Api)
    const method = args.method.toUpperCase()
    if (!METHODS.includes(method)) throw new UsageError(`Unknown method "${args.method}"`, `Use one of ${METHODS.join(', ')}.`)
    const query = parsePairs(flags.query ?? [], '--query')
    const body = flags.data === undefined ? undefined : await readData(flags.data)
    if (flags['dry-run']) {
      const {dryRunOf} = await import('../cli/dry-run.js')
      return dryRunOf([(await this.client()).prepare({method, path: args.path, query, body, idempotencyKey: flags['idempotency-key']})])
    }
    if (flags.paginate) {
      if (method !== 'GET') throw new UsageError('--paginate follows pages of a GET', 'Drop --paginate, or use GET.')
      return collect(await this.client(), args.path, query, {all: true})
    }
    const response = await this.request(method, args.path, {query, body, idempotencyKey: flags['idempotency-key']})
    return response.body
  }
}
