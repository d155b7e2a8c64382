/** What a `gh` or Stripe CLI user types without thinking: -h, -v, `version`, and the colour variables. */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {colorWanted} from '../../src/cli/terminal.js'
import {runCli} from '../helpers/cli.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

let gateway: TestServer
beforeAll(async () => {
  gateway = await startServer((request, response) => {
    if (request.url.includes('/missing/')) return json(response, 404, {error: 'not_found', message: 'Object with this ID does not exist'})
    json(response, 200, {id: 'wh-1', title: 'A', callback: 'https://x.example/h', events: [], all_events: true})
  })
})
afterAll(() => gateway.close())

const ESC = '\u001B['

describe('conventions', {timeout: 60_000}, () => {
  it('-h is --help, -v and `version` are --version', async () => {
    const [help, h, version, v, word, json] = await Promise.all([
      runCli(['--help']),
      runCli(['-h']),
      runCli(['--version']),
      runCli(['-v']),
      runCli(['version']),
      runCli(['version', '--json']),
    ])
    expect(h.stdout).toBe(help.stdout)
    expect(help.stdout).toContain('TOPICS')
    expect(version.stdout).toBe(`ummah/0.1.0 ${process.platform}-${process.arch} node-${process.version}\n`)
    expect(v.stdout).toBe(version.stdout)
    expect(word.stdout).toBe(version.stdout)
    expect(JSON.parse(json.stdout)).toMatchObject({name: 'ummah', version: '0.1.0', node: process.version})
    const commandHelp = await runCli(['purchases', 'retrieve', '-h'])
    expect(commandHelp.code).toBe(0)
    expect(commandHelp.stdout).toContain('USAGE\n  $ ummah purchases retrieve ID')
  })

  it('colour follows NO_COLOR, FORCE_COLOR, CLICOLOR, CLICOLOR_FORCE and TERM=dumb, through the binary', async () => {
    const view = (env: Record<string, string>) =>
      runCli(['webhooks', 'retrieve', 'wh-1', '--api-key', 'sk_test_colour', '--api-base', gateway.apiBase], {env})
    const failure = (env: Record<string, string>) =>
      runCli(['webhooks', 'retrieve', 'missing', '--api-key', 'sk_test_colour', '--api-base', gateway.apiBase], {env})
    // Piped: raw lines for scripts, no colour.
    expect((await view({})).stdout).toBe('id\twh-1\ntitle\tA\ncallback\thttps://x.example/h\nevents\t\nall_events\ttrue\n')
    // UMMAH_FORCE_TTY: the terminal view, coloured like a terminal, unless colour is turned off.
    expect((await view({UMMAH_FORCE_TTY: '1'})).stdout).toContain(ESC)
    const offs: Array<Record<string, string>> = [{NO_COLOR: '1'}, {CLICOLOR: '0'}, {TERM: 'dumb'}, {FORCE_COLOR: '0'}]
    for (const off of offs) {
      const result = await view({UMMAH_FORCE_TTY: '1', ...off})
      expect(result.stdout, JSON.stringify(off)).not.toContain(ESC)
      expect(result.stdout).toMatch(/^id +wh-1$/m)
    }
    // Errors on stderr: coloured only when forced, and NO_COLOR wins.
    expect((await failure({})).stderr).toMatch(/^Error: /)
    expect((await failure({CLICOLOR_FORCE: '1'})).stderr).toMatch(/^\u001B\[31mError:\u001B\[39m /)
    expect((await failure({FORCE_COLOR: '1'})).stderr).toContain(ESC)
    expect((await failure({FORCE_COLOR: '1', NO_COLOR: '1'})).stderr).not.toContain(ESC)
    expect((await failure({CLICOLOR_FORCE: '0'})).stderr).not.toContain(ESC)
  })

  it('the rules, as gh applies them', () => {
    expect(colorWanted({}, undefined, true)).toBe(true)
    expect(colorWanted({}, undefined, false)).toBe(false)
    expect(colorWanted({NO_COLOR: '1'}, 'always', true)).toBe(false)
    expect(colorWanted({NO_COLOR: ''}, undefined, true)).toBe(true)
    expect(colorWanted({CLICOLOR: '0'}, undefined, true)).toBe(false)
    expect(colorWanted({TERM: 'dumb'}, undefined, true)).toBe(false)
    expect(colorWanted({FORCE_COLOR: '0'}, undefined, true)).toBe(false)
    expect(colorWanted({CLICOLOR_FORCE: '1'}, 'never', false)).toBe(true)
    expect(colorWanted({FORCE_COLOR: 'true'}, undefined, false)).toBe(true)
    expect(colorWanted({}, 'always', false)).toBe(true)
    expect(colorWanted({}, 'never', true)).toBe(false)
  })
})
