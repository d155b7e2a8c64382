/** The base of `fixtures run` and `trigger`: runs a fixture file through this command's client and profile. */
import {join} from 'node:path'

import {UmmahCommand} from './base-command.js'

export abstract class FixtureCommand extends UmmahCommand {
  /** The fixture shipped with the CLI (fixtures/ in the package) for an event `trigger` can make happen. */
  protected shippedFixture(event: string): string {
    return join(this.config.root, 'fixtures', `${event}.json`)
  }

  static override columns = [{field: 'request'}, {field: 'id'}, {field: 'status', kind: 'status' as const}]

  /** Runs the fixture; with --json every response by request name, else one row per request. */
  protected async runFixtureFile(file: string): Promise<unknown> {
    const {loadFixture, runFixture, summarize} = await import('../webhooks/fixtures.js')
    const fixture = await loadFixture(file)
    const settings = await this.settings()
    const client = await this.client()
    const responses = await runFixture(fixture, {
      env: process.env,
      profile: settings.stored,
      // Sandbox helpers (/_sandbox/...) live beside the API base, on its origin.
      send: async ({method, path, body, query}) =>
        (await this.request(method, path.startsWith('/_sandbox/') ? new URL(path, client.apiBase).href : path, {body, query})).body,
      onResponse: (name) => this.notice(`✓ ${name}`),
    })
    return this.jsonEnabled() ? responses : summarize(responses)
  }
}
