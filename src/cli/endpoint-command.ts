/**
 * The base of every command bound to one documented endpoint. The command
 * file declares which endpoint, its examples and any extra flags; this class
 * turns the parsed input into the request (src/cli/endpoint-input.ts), asks
 * for what is missing on a terminal, checks everything locally, confirms
 * destructive verbs, and sends it.
 */
import {Flags} from '@oclif/core'

import {type Endpoint, type EndpointId, type ResponseOf, endpoint} from '../api/endpoints.js'
import {UsageError} from '../shared/errors.js'
import {UmmahCommand, linksIn} from './base-command.js'
import {
  type ParsedInput,
  buildRequest,
  checkRequest,
  endpointArgs,
  endpointFlags,
  fillParam,
  flagName,
  helpHint,
  missingParams,
} from './endpoint-input.js'
import {readData} from './input.js'
import {askParam} from './prompts.js'
import {isCI} from './terminal.js'

export abstract class EndpointCommand extends UmmahCommand {
  /** `--dry-run`'s request as HTTP reads; anything else, the standard view. */
  static override humanView = async (result: unknown) => (await import('./dry-run.js')).dryRunLines(result)
  /** The id in src/api/endpoints.ts of the endpoint this command calls; the contract test reads it. */
  static endpointId: EndpointId

  protected get target(): Endpoint {
    return endpoint((this.constructor as typeof EndpointCommand).endpointId)
  }

  async run(): Promise<unknown> {
    const input = await this.parse()
    const result = await this.send(input)
    const {linkField} = this.constructor as typeof EndpointCommand
    if (linkField && input.flags.open) await this.openLink(linksIn(result, linkField)[0])
    return result
  }

  /**
   * Builds the request from the input, `--data` merged over the flags and the
   * profile's brand_id as the default; asks for missing required input on a
   * terminal (else exits 2 naming the flags); checks it; confirms if
   * destructive; sends it. The API's response, as returned.
   */
  protected async send(input: ParsedInput): Promise<unknown> {
    const target = this.target
    const {flags} = input
    const data = typeof flags.data === 'string' ? await readData(flags.data) : undefined
    const settings = await this.settings()
    const request = buildRequest(target, input, {data, brandId: settings.stored.brand_id})

    const missing = missingParams(target, request)
    if (missing.length > 0) {
      if (!this.terminal().interactive) {
        const names = missing.map((param) => `--${flagName(param)}`).join(', ')
        const how = isCI(process.env)
          ? `CI=true: pass ${missing.length === 1 ? 'it' : 'them'} (or --data); nothing is asked in CI.`
          : `Pass ${missing.length === 1 ? 'it' : 'them'} (or --data), or run in a terminal to be asked.`
        const brand = missing.some((param) => param.name === 'brand_id') ? ' Set a default brand with `ummah config set brand_id ID`.' : ''
        throw new UsageError(`Missing required flag${missing.length === 1 ? '' : 's'}: ${names}`, `${how}${brand} ${helpHint(target)}`)
      }
      for (const param of missing) fillParam(request, param, await askParam(param))
    }
    checkRequest(target, request)

    // Nothing is sent, so nothing to confirm: the request as it would go.
    if (flags['dry-run']) return this.dryRun(target, request, flags['idempotency-key'] as string | undefined)
    if (target.destructive)
      await this.confirmDestructive(await this.confirmation(target, request.params, request.body, Boolean(flags.yes)), Boolean(flags.yes))
    if (target.list) {
      return this.listTarget(target, {
        params: request.params,
        query: request.query,
        limit: flags.limit as number | undefined,
        all: Boolean(flags.all),
      })
    }
    const result = await this.callTarget(target, {
      params: request.params,
      query: request.query,
      body: request.body,
      idempotencyKey: flags['idempotency-key'] as string | undefined,
    })
    if (target.method === 'DELETE' && (result === undefined || result === '')) this.notice(`Deleted ${this.objectName(target, request.params)}.`)
    return result
  }

  private async dryRun(target: Endpoint, request: ReturnType<typeof buildRequest>, idempotencyKey: string | undefined): Promise<unknown> {
    const [{dryRunOf}, {buildPath}] = await Promise.all([import('./dry-run.js'), import('../api/paths.js')])
    const client = await this.client()
    const path = buildPath(target, request.params)
    return dryRunOf([client.prepare({method: target.method, path, query: request.query, body: request.body, idempotencyKey})])
  }

  /**
   * `Cancel purchase 3f2a…?`. A refund says how much: on a terminal, where
   * a person answers, the purchase is read first (one GET) so the amount is
   * in its currency beside what was paid; off a terminal the amount as given.
   */
  private async confirmation(target: Endpoint, params: Record<string, string>, body: unknown, yes: boolean): Promise<string> {
    const [first, ...rest] = target.command.split(' ').at(-1)!.split('-')
    const verb = [`${first[0].toUpperCase()}${first.slice(1)}`, ...rest].join(' ')
    const question = `${verb}${rest.length > 0 ? ' of' : ''} ${this.objectName(target, params)}?`
    if (target.id !== 'purchases.refund') return question
    const amount = (body as {amount?: unknown} | undefined)?.amount
    const name = this.objectName(target, params)
    if (yes || !this.terminal().interactive)
      return typeof amount === 'number' ? `Refund ${amount} (minor units) of ${name}?` : `Refund ${name} in full?`
    const {formatMoney} = await import('../shared/money.js')
    const purchase = await this.call('purchases.retrieve', {params: {id: params.id}})
    const currency = purchase.purchase.currency
    const total = formatMoney(purchase.purchase.total_amount, currency)
    return typeof amount === 'number' ? `Refund ${formatMoney(amount, currency)} of ${name} (total ${total})?` : `Refund ${name} in full (${total})?`
  }

  /** `purchase 3f2a…`, `token 8c1d…`: the noun of the command's topic and the last path argument. */
  private objectName(target: Endpoint, params: Record<string, string>): string {
    const words = target.command.split(' ')
    const noun = words.at(-2)!.replace(/s$/, '')
    return `${noun} ${Object.values(params).at(-1)}`
  }
}

/**
 * The base class of one endpoint's command: summary, description (from the
 * reference), arguments, flags and table columns all come from the table, so
 * a command file adds only its examples and any extra behaviour.
 */
export function endpointCommand<Id extends EndpointId>(endpointId: Id, options: {link?: string} = {}) {
  const target = endpoint(endpointId)
  const openFlag = Flags.boolean({
    summary: `Open the ${options.link?.split('.').at(-1)!.replace(/_url$/, '')} page in the browser ($BROWSER, else the system's).`,
  })
  abstract class BoundEndpointCommand extends EndpointCommand {
    static override endpointId = target.id
    static override summary = target.summary
    static override description = target.description
    static override args = endpointArgs(target)
    static override flags = options.link ? {...endpointFlags(target), open: openFlag} : endpointFlags(target)
    static override columns = target.columns
    static override linkField = options.link

    /** The response as the endpoint's row types it. */
    protected override send(input: ParsedInput): Promise<ResponseOf<Id>> {
      return super.send(input) as Promise<ResponseOf<Id>>
    }
  }
  return BoundEndpointCommand
}
