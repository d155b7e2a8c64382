/** The base of `fixtures run` and `trigger`: runs a fixture file through this command's client and profile. */
import {join} from 'node:path'

import {UsageError} from '../shared/errors.js'
import {settingsOf} from '../config/store.js'
import {isLiveKey, maskKey} from '../shared/secrets.js'
import {Flags} from '@oclif/core'

import {UmmahCommand} from './base-command.js'
import {type DeliveryReport, type GatewayDelivery, verdictOf} from './delivery-check.js'

export const fixtureDryRunFlag = Flags.boolean({
  summary: 'Print the requests in order (method, URL, headers with the key masked, body) and send nothing.',
  description: 'A value from an earlier response shows as {request.field}, e.g. {purchase.id}: it is known only when the file runs.',
})

/** Sandbox helpers (/_sandbox/...) live beside the API base, on its origin; every other path is relative to the base. */
function fixturePath(path: string, apiBase: URL): string {
  return path.startsWith('/_sandbox/') ? new URL(path, apiBase).href : path
}

export abstract class FixtureCommand extends UmmahCommand {
  /** The fixture shipped with the CLI (fixtures/ in the package) for an event `trigger` can make happen. */
  protected shippedFixture(event: string): string {
    return join(this.config.root, 'fixtures', `${event}.json`)
  }

  static override columns = [{field: 'request'}, {field: 'id'}, {field: 'status', kind: 'status' as const}]
  /** `--dry-run`'s requests as HTTP reads; anything else, the standard view. */
  static override humanView = async (result: unknown) => (await import('./dry-run.js')).dryRunLines(result)

  /**
   * Runs the fixture; with --json every response by request name, else one
   * row per request. A fixture that uses the sandbox helpers runs its
   * documented alternative where the gateway has none (`GET /_sandbox/` is 404: the real one).
   */
  protected async runFixtureFile(file: string, what = file, options: {yes?: boolean; dryRun?: boolean} = {}): Promise<unknown> {
    if (options.dryRun) return this.dryRunFixture(file, what)
    const responses = await this.causeFixture(file, what, {...options, onResponse: (name) => this.notice(`✓ ${name}`)})
    return this.jsonEnabled() ? responses : (await import('../webhooks/fixtures.js')).summarize(responses)
  }

  /**
   * `--dry-run`: every request the file would send, in order, with earlier
   * responses as `{name.path}` placeholders; nothing is sent, not even the
   * probe for the sandbox helpers: they are taken to be there when the API base
   * is this machine (`ummah sandbox start`), else the documented alternative is shown.
   */
  private async dryRunFixture(file: string, what: string): Promise<unknown> {
    const [{loadFixture, requestsFor, runFixture, usesSandbox}, {dryRunOf}, {isLoopbackHost}] = await Promise.all([
      import('../webhooks/fixtures.js'),
      import('./dry-run.js'),
      import('../shared/hosts.js'),
    ])
    const fixture = await loadFixture(file)
    await this.refuseLiveFixture(what)
    const client = await this.client()
    const helpers = usesSandbox(fixture.requests) && isLoopbackHost(client.apiBase.hostname)
    const prepared: Array<ReturnType<typeof client.prepare>> = []
    await runFixture(
      {...fixture, requests: requestsFor(fixture, helpers, what)},
      {
        env: process.env,
        profile: settingsOf((await this.settings()).stored),
        placeholders: true,
        async send({method, path, body, query}) {
          prepared.push(client.prepare({method, path: fixturePath(path, client.apiBase), body, query}))
        },
      },
    )
    return dryRunOf(prepared)
  }

  /** A fixture file may come from anyone: with a live key it runs only when --live says so, even one that only reads. */
  private async refuseLiveFixture(what: string): Promise<void> {
    const key = await this.apiKey()
    if (isLiveKey(key) && !this.globals.live)
      throw new UsageError(
        `Refusing to run ${what} with the live key ${maskKey(key)}`,
        'Pass --live to run a fixture against live data, or use a test key (sk_test_*).',
      )
  }

  /** Runs the fixture's requests (checked and, where needed, confirmed first); the responses by name. */
  protected async causeFixture(
    file: string,
    what: string,
    options: {yes?: boolean; onResponse?: (name: string) => void},
  ): Promise<Record<string, unknown>> {
    const {environmentRead, loadFixture, requestsFor, runFixture, usesSandbox} = await import('../webhooks/fixtures.js')
    const fixture = await loadFixture(file)
    const settings = await this.settings()
    await this.refuseLiveFixture(what)
    const client = await this.client()
    const helpers = usesSandbox(fixture.requests) && (await this.hasSandboxHelpers(String(client.apiBase)))
    const requests = requestsFor(fixture, helpers, what)
    const variables = environmentRead(requests)
    if (variables.length > 0 && !options.yes && this.terminal().interactive) {
      await this.confirmDestructive(
        `${what} reads the environment variables ${variables.join(', ')} and sends them to ${client.apiBase.origin}. Run it?`,
        false,
      )
    }
    return runFixture(
      {...fixture, requests},
      {
        env: process.env,
        profile: settingsOf(settings.stored),
        send: async ({method, path, body, query}) => (await this.request(method, fixturePath(path, client.apiBase), {body, query})).body,
        onResponse: options.onResponse,
      },
    )
  }

  /**
   * `trigger --wait` / `--count`: causes the event `count` times (at most
   * `perSecond` a second), then waits until the running listener of this
   * profile forwarded each one and the app answered; the report, or an
   * AssertionFailed carrying it. The listener is found first: without one nothing is created.
   */
  protected async triggerAndWait(event: string, options: {count: number; perSecond?: number; waitMs: number}): Promise<DeliveryReport> {
    const [{ListenerClient}, {triggerAndWait}] = await Promise.all([import('../inspector/client.js'), import('./await-deliveries.js')])
    const {profile} = await this.settings()
    const listener = await ListenerClient.connect(profile)
    await listener.mustReceive(event, profile)
    const report = await triggerAndWait({
      ...options,
      event,
      listener,
      cause: () => this.causeFixture(this.shippedFixture(event), event, {}),
      deliveries: async (id, sourceType) =>
        (await this.list('webhooks.deliveries', {query: {id, source_type: sourceType}, limit: 100})).results as GatewayDelivery[],
      progress: options.count > 1 ? (text) => this.notice(text) : undefined,
    })
    const failure = verdictOf(report, `${event} events`)
    if (failure) throw failure
    return report
  }

  /** Whether the gateway answers the sandbox helpers' index (`ummah sandbox start` does; a real gateway, or `--no-helpers`, says 404). */
  private async hasSandboxHelpers(apiBase: string): Promise<boolean> {
    const {NotFoundError} = await import('../api/errors.js')
    try {
      await this.request('GET', new URL('/_sandbox/', apiBase).href)
      return true
    } catch (error) {
      if (error instanceof NotFoundError) return false
      throw error
    }
  }
}
