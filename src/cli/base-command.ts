/**
 * The one base command. It owns the global flags, profile resolution, the API
 * client, rendering (tables or `--json`) and error rendering, so a command's
 * `run()` only gathers input and returns data.
 */
import {Command, Interfaces} from '@oclif/core'

import {ApiClient, type ApiResponse, type Query} from '../api/client.js'
import {type Column, type Endpoint, type EndpointId, type PathParams, type ResponseOf, endpoint} from '../api/endpoints.js'
import {buildPath} from '../api/paths.js'
import type {Page} from '../api/types.js'
import {AssertionFailed, UmmahError, UsageError} from '../shared/errors.js'
import {collect} from '../api/paginate.js'
import {maskedArgv, redactKnown, registerSecret, secretsInArgv} from '../shared/secrets.js'
import {guardLive} from '../config/live-guard.js'
import type {WebhookApi} from '../webhooks/listen.js'
import type {SampleSet} from '../schemes/types.js'
import {type Settings, requireKey, resolveSettings, selectProfile} from '../config/resolve.js'
import {ConfigStore, type StoredProfiles} from '../config/store.js'
import {GLOBAL_DEFAULTS, type GlobalFlags, globalFlags, globalValues} from './flags.js'
import {readStdin} from './input.js'
import type {JqFilter, JqOutput} from './jq.js'
import {guardOutput} from './output-guard.js'
import {parseHttpUrl} from '../shared/urls.js'
import {printable, printableDeep, terminalSafeJson} from '../shared/terminal-text.js'
import {createStyle, renderHuman} from './output.js'
import {askConfirm} from './prompts.js'
import {type Terminal, detectTerminal, isCI, promptsForbidden, terminalWidth} from './terminal.js'

export interface RequestOptions {
  query?: Query
  body?: unknown
  idempotencyKey?: string
}

/** A call to endpoint `Id`: `params` holds exactly its path's placeholders, and is required when there are any. */
export type CallOptions<Id extends EndpointId> = RequestOptions &
  ([keyof PathParams<Id>] extends [never] ? {params?: undefined} : {params: PathParams<Id>})

/** The arguments after the id: the options may be left out only when the path has no placeholders. */
type CallArgs<Id extends EndpointId, Extra = object> = [keyof PathParams<Id>] extends [never]
  ? [options?: CallOptions<Id> & Extra]
  : [options: CallOptions<Id> & Extra]

/** A list endpoint's item type, from the page it answers. */
type ItemOf<Id extends EndpointId> = ResponseOf<Id> extends Page<infer Item> ? Item : never

interface ListOptions {
  limit?: number
  all?: boolean
}

// Structural copies of oclif's parser output types, which its package does not export.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- oclif's FlagOutput, exactly, or parse() no longer overrides oclif's
type FlagOutput = {[name: string]: any}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- likewise oclif's ArgOutput
type ArgOutput = {[name: string]: any}

/** A command's output streams. */
export interface OutputSink {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

export abstract class UmmahCommand extends Command {
  // Partial: a command that calls no gateway lists only the global flags that apply to it (globalFlagsFor).
  static override baseFlags: Partial<typeof globalFlags> = globalFlags
  /** Table columns for list output; commands bound to an endpoint take the endpoint's. */
  static columns?: readonly Column[]
  /** Print JSON even without --json (raw API output, like `gh api`). */
  static alwaysJson = false
  /** A command's own view for people (a report's lines); undefined: the standard table or key/value view. */
  static humanView?: (result: unknown) => Promise<string[] | undefined>
  /** A URL field the person acts on next (`checkout_url`), printed prominently under the view. */
  static linkField?: string

  protected globals: GlobalFlags = GLOBAL_DEFAULTS
  /**
   * Where every command writes: the process's streams, behind the output
   * boundary (output-guard.ts). Commands write through print(), notice() and
   * these streams, never process.stdout directly.
   */
  protected sink: OutputSink = {stdout: process.stdout, stderr: process.stderr}
  private resolvedSettings?: Settings
  private apiClient?: ApiClient
  private readonly openClients: ApiClient[] = []
  private terminalState?: Terminal
  private stdinKey?: Promise<string>
  /** The profile's `color` setting, known once settings are resolved. */
  private settingsColor?: string
  /** --jq's compiled filter. */
  private jqFilter?: JqFilter

  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    // oclif spreads the options object, which drops statics a command inherits
    // (endpoint commands inherit their args from endpointCommand()): name them.
    const input = (options ?? this.ctor) as Interfaces.Input<F, B, A>
    const resolved = {...input, args: input.args, flags: input.flags, baseFlags: input.baseFlags, strict: input.strict}
    const parsed = await this.parseAsking(resolved, argv ?? this.argv)
    this.globals = globalValues(parsed.flags)
    // Compiled here, before run(): a bad expression is a usage error and nothing is sent.
    if (this.globals.jq !== undefined) this.jqFilter = await (await import('./jq.js')).compileJq(this.globals.jq)
    return parsed
  }

  /**
   * oclif's parse; a missing positional argument is asked for on a terminal (a
   * picker when it has choices) and parsed again, and off one is a usage
   * error naming the argument, its choices and the help.
   */
  private async parseAsking<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    input: Interfaces.Input<F, B, A>,
    argv: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(input, argv)
    } catch (error) {
      const missing = (error as {args?: Array<{name: string; description?: string; options?: readonly string[]}>}).args
      if ((error as Error).constructor?.name !== 'RequiredArgsError' || !missing?.length) throw error
      const command = `ummah ${this.id?.replaceAll(':', ' ') ?? ''}`.trim()
      const terminal = detectTerminal({json: this.givenBeforeParse('--json'), noInput: this.givenBeforeParse('--no-input')})
      if (!terminal.interactive) {
        const [first] = missing
        const choices = first.options?.length
          ? `: one of ${first.options.join(', ')}`
          : first.description
            ? ` (${first.description.replace(/\.$/, '')})`
            : ''
        throw new UsageError(
          `Missing ${missing.length === 1 ? 'argument' : `${missing.length} arguments, first`} ${first.name.toUpperCase()}${choices}`,
          `Give it: ${command} ${missing.map((argument) => argument.name.toUpperCase()).join(' ')}. See \`${command} --help\`.`,
        )
      }
      const {askArgument} = await import('./prompts.js')
      const answers: string[] = []
      for (const argument of missing) answers.push(await askArgument(argument))
      // The answers go where positional arguments stand: before the first flag.
      const at = argv.findIndex((word) => word.startsWith('-'))
      const next = at === -1 ? [...argv, ...answers] : [...argv.slice(0, at), ...answers, ...argv.slice(at)]
      return super.parse(input, next)
    }
  }

  /** True with --json or --jq, also before the flags are parsed (so parse errors are JSON too). */
  override jsonEnabled(): boolean {
    return this.globals.json || this.globals.jq !== undefined || this.givenBeforeParse('--json')
  }

  /** A value as this run prints JSON: through --jq when given (indented only on a terminal), else JSON.stringify. */
  protected jsonText(value: unknown, indent: boolean): JqOutput {
    // terminalSafeJson: the C1 controls JSON.stringify leaves raw are escaped too, the value unchanged.
    if (!this.jqFilter) return {text: terminalSafeJson(JSON.stringify(value, null, indent ? 2 : undefined))}
    const output = this.jqFilter.apply(value, {indent: indent && this.terminal().human})
    return {...output, text: terminalSafeJson(output.text)}
  }

  /**
   * One line of a JSON stream (`webhooks listen --format json`); '' when --jq
   * selects nothing. A --jq failure on one line is reported and the stream goes on, as jq does.
   */
  protected jsonLine(value: unknown): string {
    const {text, error} = this.jsonText(value, false)
    if (error) this.sink.stderr.write(`Error: ${error.message}\n`)
    return text
  }

  protected get debugEnabled(): boolean {
    return this.globals.debug || this.givenBeforeParse('--debug')
  }

  /** A boolean flag on the command line before any `--`, for decisions made before (or despite) parsing. */
  private givenBeforeParse(flag: string): boolean {
    const end = this.argv.indexOf('--')
    const at = this.argv.indexOf(flag)
    return at !== -1 && (end === -1 || at < end)
  }

  protected terminal(): Terminal {
    this.terminalState ??= detectTerminal({
      json: this.jsonEnabled(),
      color: this.settingsColor,
      noInput: this.globals['no-input'] || this.givenBeforeParse('--no-input'),
      quiet: this.quiet(),
    })
    return this.terminalState
  }

  /**
   * Before anything can print: every key this run may use is registered for
   * masking, and `--api-key VALUE` is masked in the process title, which is
   * what `ps` shows of a long-running `webhooks listen` or `sandbox start`.
   */
  override async init(): Promise<void> {
    guardOutput()
    for (const secret of [...secretsInArgv(this.argv), process.env.UMMAH_SECRET_KEY]) registerSecret(secret)
    const masked = maskedArgv(process.argv.slice(2))
    if (masked) process.title = [this.config.bin, ...masked].join(' ')
    await super.init()
  }

  /** `--api-key` as given; `--api-key -` is read from stdin, once. */
  protected async apiKeyFlag(): Promise<string | undefined> {
    const given = this.globals['api-key']
    if (given !== '-') return given
    this.stdinKey ??= readStdin().then((text) => text.trim())
    const key = await this.stdinKey
    registerSecret(key)
    if (!key) throw new UsageError('--api-key -: stdin was empty', 'Pipe the key in, e.g. `printf %s "$KEY" | ummah ... --api-key -`.')
    return key
  }

  protected async settings(): Promise<Settings> {
    this.resolvedSettings ??= resolveSettings({
      profile: this.globals.profile,
      apiKey: await this.apiKeyFlag(),
      apiBase: this.globals['api-base'],
    })
    registerSecret(this.resolvedSettings.apiKey)
    this.settingsColor = this.resolvedSettings.stored.color
    return this.resolvedSettings
  }

  /** The key in use (a profile's keychain key is read here, the first time it is needed). */
  protected async apiKey(): Promise<string> {
    const key = await requireKey(await this.settings())
    registerSecret(key)
    return key
  }

  /** The config file, for commands that manage profiles. */
  protected configStore(): Promise<ConfigStore> {
    return ConfigStore.open()
  }

  /** The profile a profile-managing command acts on. */
  protected profileName(store: StoredProfiles): string {
    return selectProfile(this.globals.profile, store)
  }

  protected async client(): Promise<ApiClient> {
    if (this.apiClient) return this.apiClient
    const settings = await this.settings()
    this.apiClient = this.createClient(await this.apiKey(), settings.apiBase)
    return this.apiClient
  }

  /** A client with this invocation's timeouts, retries and tracing; closed when the command ends. */
  protected createClient(apiKey: string, apiBase: string): ApiClient {
    registerSecret(apiKey)
    const client = new ApiClient({
      apiKey,
      apiBase,
      userAgent: `ummah-cli/${this.config.version} node/${process.versions.node} ${process.platform}`,
      timeoutMs: this.globals.timeout * 1000,
      maxRetries: this.globals['max-retries'],
      trace: this.debugEnabled ? (line) => this.sink.stderr.write(`[http] ${line}\n`) : undefined,
    })
    this.openClients.push(client)
    return client
  }

  /** Sends one request after the live-key guard; the response as received. */
  protected async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const client = await this.client()
    await guardLive({
      apiKey: await this.apiKey(),
      method,
      what: `${method.toUpperCase()} ${path}`,
      live: this.globals.live,
      confirm: this.terminal().interactive ? askConfirm : undefined,
    })
    return client.request<T>({method, path, query: options.query, body: options.body, idempotencyKey: options.idempotencyKey})
  }

  /** POSTs to a sandbox-only helper, served at `/_sandbox/...` on the API base's origin. */
  protected async sandboxHelper(path: string, body?: unknown, method: 'GET' | 'POST' = 'POST'): Promise<unknown> {
    const client = await this.client()
    const response = await this.request(method, new URL(`/_sandbox/${path}`, client.apiBase).href, {body})
    return response.body
  }

  /** The webhook calls a listener (and `check-app`) makes, through this command's client; the sandbox's signing helpers included. */
  protected webhookApi(): WebhookApi {
    return {
      create: (body) => this.call('webhooks.create', {body}),
      patch: (id, body) => this.call('webhooks.partial_update', {params: {id}, body}),
      retrieve: (id) => this.call('webhooks.retrieve', {params: {id}}),
      list: async () => (await this.list('webhooks.list', {all: true})).results,
      deliver: (id, payload) => this.sandboxHelper(`webhooks/${encodeURIComponent(id)}/deliver`, {payload}),
      sign: async (id, payload) =>
        ((await this.sandboxHelper(`webhooks/${encodeURIComponent(id)}/sign`, {payload})) as {headers: Record<string, string>}).headers,
      samples: async (id, createdOn) =>
        (await this.sandboxHelper(`webhooks/${encodeURIComponent(id)}/samples`, {created_on: createdOn})) as SampleSet,
      isSandbox: async () => ((await this.sandboxHelper('', undefined, 'GET')) as {sandbox?: unknown} | undefined)?.sandbox === true,
    }
  }

  /**
   * Calls a documented endpoint by its id in src/api/endpoints.ts; the response body, typed by the
   * endpoint's row. A missing path parameter does not compile (test/types/rules.ts).
   */
  protected async call<Id extends EndpointId>(endpointId: Id, ...[options]: CallArgs<Id>): Promise<ResponseOf<Id>> {
    return (await this.callTarget(endpoint(endpointId), {...options, params: options?.params ?? {}})) as ResponseOf<Id>
  }

  /** Calls a list endpoint, following `next` for `--limit` and `--all`. */
  protected async list<Id extends EndpointId>(endpointId: Id, ...[options]: CallArgs<Id, ListOptions>): Promise<Page<ItemOf<Id>>> {
    return (await this.listTarget(endpoint(endpointId), {...options, params: options?.params ?? {}})) as Page<ItemOf<Id>>
  }

  /** call() for code that holds the row rather than its id (endpoint commands): the path values are checked as it is built. */
  protected async callTarget(target: Endpoint, options: RequestOptions & {params: Readonly<Record<string, string>>}): Promise<unknown> {
    return (await this.request(target.method, buildPath(target, options.params), options)).body
  }

  protected async listTarget(
    target: Endpoint,
    options: RequestOptions & ListOptions & {params: Readonly<Record<string, string>>},
  ): Promise<Page<unknown>> {
    return collect(await this.client(), buildPath(target, options.params), options.query, {limit: options.limit, all: options.all})
  }

  /** Destructive verbs: a yes at a prompt on a terminal, else --yes. */
  protected async confirmDestructive(question: string, yes: boolean): Promise<void> {
    if (yes) return
    if (!this.terminal().interactive) {
      const why = isCI(process.env) ? 'CI=true, so nothing is asked' : this.noInput() ? '--no-input forbids asking' : 'there is no terminal to ask'
      throw new UsageError(
        `${question.replace(/\?$/, '')}: confirmation needed and ${why}`,
        isCI(process.env) ? 'CI=true: pass --yes to confirm.' : 'Pass --yes to confirm.',
      )
    }
    if (!(await askConfirm(question))) throw new UsageError('Cancelled: nothing was changed', 'Pass --yes to skip this question.')
  }

  /** Prompts are forbidden: --no-input or UMMAH_NO_INPUT. */
  protected noInput(): boolean {
    return promptsForbidden(process.env, this.globals['no-input'] || this.givenBeforeParse('--no-input'))
  }

  /** A status line for people, on stderr; silent under --json and --quiet. */
  protected notice(message: string): void {
    if (!this.jsonEnabled() && !this.quiet()) this.sink.stderr.write(`${message}\n`)
  }

  /** `-q`/`--quiet`: no notes, no progress. */
  protected quiet(): boolean {
    return Boolean(this.globals.quiet) || this.givenBeforeParse('--quiet') || this.givenBeforeParse('-q')
  }

  /** One line of a command's own output, on stdout (results go through render()). */
  protected print(line: string): void {
    this.sink.stdout.write(`${line}\n`)
  }

  /** One line on stderr whatever the format (a failed save of a running server). */
  protected printError(line: string): void {
    this.sink.stderr.write(`${line}\n`)
  }

  protected override async _run<T>(): Promise<T> {
    let result: unknown
    try {
      await this.init()
      result = await this.run()
      await this.render(result)
    } catch (error) {
      await this.catch(error as Error)
    } finally {
      await this.finally()
    }
    return result as T
  }

  /**
   * The result on stdout, through the pager on a terminal (pager.ts): the
   * view is collected, passed through the output boundary's rules, and given
   * to the pager whole.
   */
  protected async render(result: unknown): Promise<void> {
    if (result === undefined) return
    // Piped (the usual case for scripts) nothing more is loaded.
    if (!process.stdout.isTTY || this.globals['no-pager']) return this.renderView(result)
    const [{page, pagerCommand}, {guardedText}] = await Promise.all([import('./pager.js'), import('./output-guard.js')])
    const pager = pagerCommand({stdoutTTY: true, noPager: false, env: process.env})
    if (!pager) return this.renderView(result)
    const stdout = this.sink.stdout
    let text = ''
    let failure: unknown
    this.sink.stdout = {write: (chunk: string | Uint8Array) => ((text += String(chunk)), true)} as NodeJS.WritableStream
    try {
      await this.renderView(result)
    } catch (error) {
      // A --json failure prints its report, then fails: the report is paged, then the failure is reported.
      failure = error
    } finally {
      this.sink.stdout = stdout
    }
    if (text) await page(pager, guardedText(text), stdout)
    if (failure) throw failure
  }

  private async renderView(result: unknown): Promise<void> {
    if (this.jsonEnabled() || (this.constructor as typeof UmmahCommand).alwaysJson) {
      const {text, error} = this.jsonText(result, true)
      if (text) this.print(text)
      if (error) throw error
      return
    }
    const own = await (this.constructor as typeof UmmahCommand).humanView?.(result)
    if (own) {
      for (const line of own) this.print(printable(line))
      return
    }
    const {color, human} = this.terminal()
    const columns = (this.constructor as typeof UmmahCommand).columns
    const style = await createStyle(color)
    // What a server sent is shown as text: every string and key with its control characters escaped, before styling.
    // Secrets are masked here too (the boundary would mask them anyway), so a table's widths are those of what it shows.
    const shown = printableDeep(result, redactKnown)
    const text = await renderHuman(shown, columns, {style, tty: human, width: terminalWidth(process.stdout, process.env)})
    if (text) this.print(text)
    const {linkField} = this.constructor as typeof UmmahCommand
    // Piped, the link is already a row of the raw view; a list's links are a column of its table.
    if (linkField && human && !Array.isArray(result)) {
      const label = linkField
        .split('.')
        .at(-1)!
        .replace(/_url$/, ' URL')
        .replace(/^./, (first) => first.toUpperCase())
      for (const link of linksIn(shown, linkField)) this.sink.stdout.write(`\n${style.bold(`${label}:`)} ${style.success(link)}\n`)
    }
  }

  /** Opens a URL in the browser for --open; when that fails, says so and leaves the URL on screen. */
  protected async openLink(url: unknown): Promise<void> {
    if (typeof url !== 'string' || !url) return
    // The URL came from a server: only a plainly written http(s) URL reaches the browser, so no `file:`,
    // `javascript:` or `--flag` can be passed to an opener (parseHttpUrl: it starts with http:// or https://).
    const link = parseHttpUrl(url)
    if (!link) return this.notice(`Not opening ${JSON.stringify(url)}: only http(s) links are opened.`)
    const {openInBrowser} = await import('./browser.js')
    if (!(await openInBrowser(link.href))) this.notice(`Could not open a browser: open ${link.href} yourself.`)
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<void> {
    const failure = toUmmahError(error, this.id)
    process.exitCode = failure.exitCode
    if (failure.code === 'exit') return
    // Secrets in the message are masked by the output guard (src/cli/output-guard.ts).
    // Errors never pass through --jq: its output is the result's, so they stay text on stderr.
    const report = failure instanceof AssertionFailed ? failure.report : undefined
    if (this.jsonEnabled() && this.globals.jq === undefined) {
      this.print(terminalSafeJson(JSON.stringify({...report, error: failure.toJSON()}, null, 2)))
      return
    }
    // What was found is the output either way: through --jq, or as the command's view above the error.
    if (report) await this.render(report).catch(() => {})
    const style = await createStyle(this.terminal().color)
    // Messages quote servers and input: shown as text, one line (a line break in a server's message is shown, not obeyed).
    const message = printable(/[.!?:]$/.test(failure.message) ? failure.message : `${failure.message}.`)
    const lines = [`${style.error('Error:')} ${message}${failure.hint ? ` ${printable(failure.hint)}` : ''}`]
    for (const detail of failure.detailLines()) lines.push(`  ${printable(detail)}`)
    if (this.debugEnabled && error.stack) lines.push(error.stack)
    this.printError(lines.join('\n'))
  }

  protected override async finally(): Promise<void> {
    await Promise.all(this.openClients.map((client) => client.close()))
  }
}

/** The values of `field` (a dotted path: `purchase.checkout_url`) in a result, or in each item of a list of results. */
export function linksIn(result: unknown, field: string): string[] {
  const items = Array.isArray(result) ? result : [result]
  const at = (item: unknown) =>
    field
      .split('.')
      .reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined), item)
  return items.map(at).filter((value): value is string => typeof value === 'string' && value !== '')
}

/** Maps anything thrown to an UmmahError with the right exit code. */
export function toUmmahError(error: Error & {oclif?: {exit?: number}; parse?: unknown}, commandId?: string): UmmahError {
  if (error instanceof UmmahError) return error
  if (error.name === 'ExitPromptError' || error.name === 'AbortPromptError') {
    return new UmmahError('Interrupted', {code: 'interrupted'})
  }
  // oclif's own exit after --help; any other exit status it asks for is not one of ours.
  if ((error as {code?: string}).code === 'EEXIT' && (error.oclif?.exit ?? 0) === 0) return new UmmahError('', {code: 'exit'})
  if (error.parse !== undefined || error.oclif?.exit === 2) {
    const lines = error.message
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !/See more help/.test(line))
    // oclif: "Parsing --timeout \n\tExpected an integer less than or equal to 3600" → "--timeout: Expected …"
    const flag = /^Parsing (--\S+)$/.exec(lines[0] ?? '')?.[1]
    const reason = flag ? `${flag}: ${lines.slice(1).join('; ')}` : lines.join('; ')
    return new UsageError(reason, commandId ? `See \`ummah ${commandId.replaceAll(':', ' ')} --help\`.` : 'See `ummah --help`.')
  }
  return new UmmahError(error.message || String(error), {
    code: 'unexpected',
    hint: 'Run again with --debug for details.',
  })
}
