/** What a `gh` or Stripe CLI user types without thinking: -h, -v, `version`, and the colour variables. */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {colorWanted} from '../../src/cli/terminal.js'
import {runCli} from '../helpers/cli.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

let gateway: TestServer
beforeAll(async () => {
  gateway = await startServer((_request, response) => json(response, 200, {id: 'wh-1', title: 'A', callback: 'https://x.example/h', events: [], all_events: true}))
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
    expect(version.stdout).toMatch(/^ummah\/0\.1\.0 linux-x64 node-v20/)
    expect(v.stdout).toBe(version.stdout)
    expect(word.stdout).toBe(version.stdout)
    expect(JSON.parse(json.stdout)).toMatchObject({name: 'ummah', version: '0.1.0', node: process.version})
    const commandHelp = await runCli(['purchases', 'retrieve', '-h'])
    expect(commandHelp.code).toBe(0)
    expect(commandHelp.stdout).toContain('USAGE\n  $ ummah purchases retrieve ID')
  })

  it('colour follows NO_COLOR, FORCE_COLOR, CLICOLOR, CLICOLOR_FORCE and TERM=dumb, through the binary', async () => {
    const list = (env: Record<string, string>) => runCli(['webhooks', 'retrieve', 'wh-1', '--api-key', 'sk_test_colour', '--api-base', gateway.apiBase], {env})
    // Piped: no colour unless forced.
    expect((await list({})).stdout).not.toContain(ESC)
    expect((await list({CLICOLOR_FORCE: '1'})).stdout).toContain(ESC)
    expect((await list({FORCE_COLOR: '1'})).stdout).toContain(ESC)
    expect((await list({FORCE_COLOR: '1', NO_COLOR: '1'})).stdout).not.toContain(ESC)
    expect((await list({CLICOLOR_FORCE: '0'})).stdout).not.toContain(ESC)
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
