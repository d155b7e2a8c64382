/**
 * Long output on a terminal goes through the pager (UMMAH_PAGER, then PAGER,
 * else less -FRX), as gh does; piped, with --no-pager or in CI it is not
 * called. The pager gets what the output boundary lets through: secrets
 * masked, a server's control sequences as visible text.
 */
import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {onTerminal} from '../helpers/pty.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

const KEY = 'sk_test_pager_0000wxyz'
const CLIENTS = Array.from({length: 40}, (_, index) => ({
  id: `0000000${index % 10}-1111-4222-8333-94444555566${index % 10}`,
  email: `client${index}@example.com`,
  // A server echoing the key and a title-changing escape: neither may reach the pager as such.
  full_name: index === 0 ? `Eve ${KEY} \u001B]0;pwned\u0007` : `Client ${index}`,
  created_on: 1_700_000_000 + index,
}))

let gateway: TestServer
beforeAll(async () => {
  gateway = await startServer((_request, response) => json(response, 200, {results: CLIENTS, next: null, previous: null}))
})
afterAll(() => gateway.close())

/** A pager that records what it was given, in its own file. */
function recordingPager(): {command: string; file: string} {
  const dir = tempDir('ummah-pager-')
  const file = join(dir, 'paged.txt')
  const script = join(dir, 'pager.sh')
  writeFileSync(
    script,
    `#!/bin/sh\n# Its arguments too, to show a pager command line with flags works.\necho "args: $*" > '${file}'\ncat >> '${file}'\n`,
  )
  chmodSync(script, 0o755)
  return {command: `${script} -R --flag`, file}
}

const env = (extra: Record<string, string> = {}) => ({
  UMMAH_CONFIG_DIR: tempConfigDir(),
  UMMAH_SECRET_KEY: KEY,
  UMMAH_API_BASE: gateway.apiBase,
  TZ: 'UTC',
  ...extra,
})

describe('the pager', {timeout: 60_000}, () => {
  it('on a terminal, PAGER receives the whole view (masked, escaped) and the terminal shows none of it', async () => {
    const pager = recordingPager()
    const shown = await onTerminal(['clients', 'list'], [], env({PAGER: pager.command, NO_COLOR: '1'}))
    expect(shown.code, shown.output).toBe(0)
    const paged = readFileSync(pager.file, 'utf8')
    expect(paged.split('\n')[0]).toBe('args: -R --flag')
    expect(paged).toMatch(/^ID +EMAIL +NAME +COUNTRY +CREATED$/m)
    for (const client of CLIENTS.slice(1)) expect(paged).toContain(client.email)
    expect(paged.trimEnd().split('\n')).toHaveLength(1 + 1 + CLIENTS.length)
    expect(paged).not.toContain(KEY)
    expect(paged).toContain('sk_test_…wxyz')
    // Columns line up on what is shown: the masked key is measured, not the key.
    const lines = paged.split('\n').slice(1, 4)
    expect(lines.map((line) => (line.indexOf('COUNTRY') === -1 ? line.indexOf('—') : line.indexOf('COUNTRY')))).toEqual([
      lines[0].indexOf('COUNTRY'),
      lines[0].indexOf('COUNTRY'),
      lines[0].indexOf('COUNTRY'),
    ])
    expect(paged).not.toContain('\u001B]0;')
    expect(paged).toContain('\\e]0;pwned\\a')
    expect(shown.output).not.toContain('client1@example.com')
  })

  it('UMMAH_PAGER comes before PAGER; a pager that is not there leaves the output on the terminal', async () => {
    const [ours, theirs] = [recordingPager(), recordingPager()]
    const shown = await onTerminal(['clients', 'list'], [], env({UMMAH_PAGER: ours.command, PAGER: theirs.command}))
    expect(shown.code).toBe(0)
    expect(readFileSync(ours.file, 'utf8')).toContain('client39@example.com')
    expect(existsSync(theirs.file)).toBe(false)

    const missing = await onTerminal(['clients', 'list'], [], env({PAGER: 'ummah-no-such-pager-here'}))
    expect(missing.code).toBe(0)
    expect(missing.output).toContain('client39@example.com')
  })

  it('not called piped, with --no-pager, with PAGER=cat, or in CI', async () => {
    const pager = recordingPager()
    const piped = await runCli(['clients', 'list'], {env: env({PAGER: pager.command})})
    expect(piped.code).toBe(0)
    expect(piped.stdout.trim().split('\n')).toHaveLength(CLIENTS.length)
    const runs: Array<[string[], Record<string, string>]> = [
      [['clients', 'list', '--no-pager'], {PAGER: pager.command}],
      [['clients', 'list'], {PAGER: pager.command, CI: 'true'}],
      [['clients', 'list'], {UMMAH_PAGER: 'cat', PAGER: pager.command}],
    ]
    for (const [args, extra] of runs) {
      const shown = await onTerminal(args, [], env(extra))
      expect(shown.code).toBe(0)
      expect(shown.output, `${JSON.stringify(extra)} ${JSON.stringify(shown.raw)}`).toContain('client39@example.com')
    }
    expect(existsSync(pager.file)).toBe(false)
  })
})
