/** The base of `fixtures run` and `trigger`: runs a fixture file through this command's client and profile. */
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {UmmahCommand} from './base-command.js'

/** The fixtures shipped with the CLI, one per event `trigger` can make happen. */
export const FIXTURES_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'fixtures')

export abstract class FixtureCommand extends UmmahCommand {
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
