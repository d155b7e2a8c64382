/** The base of `fixtures run` and `trigger`: runs a fixture file through this command's client and profile. */
import {join} from 'node:path'

import {UsageError} from '../shared/errors.js'
import {settingsOf} from '../config/store.js'
import {isLiveKey, maskKey} from '../shared/secrets.js'
import {UmmahCommand} from './base-command.js'
import {type DeliveryReport, type GatewayDelivery, verdictOf} from './delivery-check.js'

export abstract class FixtureCommand extends UmmahCommand {
  /** The fixture shipped with the CLI (fixtures/ in the package) for an event `trigger` can make happen. */
  protected shippedFixture(event: string): string {
    return join(this.config.root, 'fixtures', `${event}.json`)
  }

  static override columns = [{field: 'request'}, {field: 'id'}, {field: 'status', kind: 'status' as const}]

  /**
   * Runs the fixture; with --json every response by request name, else one
   * row per request. A fixture that uses the sandbox helpers runs its
   * documented alternative where the gateway has none (`GET /_sandbox/` is 404: the real one).
   */
  protected async runFixtureFile(file: string, what = file, options: {yes?: boolean} = {}): Promise<unknown> {
    const responses = await this.causeFixture(file, what, {...options, onResponse: (name) => this.notice(`✓ ${name}`)})
    return this.jsonEnabled() ? responses : (await import('../webhooks/fixtures.js')).summarize(responses)
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
    // A fixture file may come from anyone: with a live key it runs only when --live says so, even one that only reads.
    const key = await this.apiKey()
    if (isLiveKey(key) && !this.globals.live)
      throw new UsageError(
        `Refusing to run ${what} with the live key ${maskKey(key)}`,
        'Pass --live to run a fixture against live data, or use a test key (sk_test_*).',
      )
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
        // Sandbox helpers (/_sandbox/...) live beside the API base, on its origin.
        send: async ({method, path, body, query}) =>
          (await this.request(method, path.startsWith('/_sandbox/') ? new URL(path, client.apiBase).href : path, {body, query})).body,
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
