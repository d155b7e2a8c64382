/** The base of `fixtures run` and `trigger`: runs a fixture file through this command's client and profile. */
import {join} from 'node:path'

import {UsageError} from '../shared/errors.js'
import {settingsOf} from '../config/store.js'
import {isLiveKey, maskKey} from '../shared/secrets.js'
import {UmmahCommand} from './base-command.js'

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
    const {environmentRead, loadFixture, requestsFor, runFixture, summarize, usesSandbox} = await import('../webhooks/fixtures.js')
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
    const responses = await runFixture(
      {...fixture, requests},
      {
        env: process.env,
        profile: settingsOf(settings.stored),
        // Sandbox helpers (/_sandbox/...) live beside the API base, on its origin.
        send: async ({method, path, body, query}) =>
          (await this.request(method, path.startsWith('/_sandbox/') ? new URL(path, client.apiBase).href : path, {body, query})).body,
        onResponse: (name) => this.notice(`✓ ${name}`),
      },
    )
    return this.jsonEnabled() ? responses : summarize(responses)
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
