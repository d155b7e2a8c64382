/**
 * Whatever a server says reaches the terminal as text: error messages, field
 * values, table cells and --debug traces full of ESC, OSC, BEL and C1
 * controls are shown as visible escapes (`\e]0;…\a`), in the human view on a
 * terminal and piped; --json stays valid JSON holding the exact value.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

const CONTROLS =
  '\u001b]0;pwned\u0007\u001b]52;c;ZXZpbA==\u0007\u001b]8;;http://evil.example/\u001b\\link\u001b]8;;\u001b\\\u001b[2J\u001b[31m\r\b\u009b31m\u0085'
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/
const ID = 'c1a2b3c4-d5e6-4a7b-8c9d-0e1f2a3b4c5d'
const client = {id: ID, email: `a${CONTROLS}@example.com`, full_name: `Eve${CONTROLS}`, [`key${CONTROLS}`]: 'value', created_on: 1700000000}

let gateway: TestServer
beforeAll(async () => {
  gateway = await startServer((request, response) => {
    if (request.method === 'GET' && request.url === '/api/v1/clients/') return json(response, 200, {results: [client], next: null, previous: null})
    if (request.method === 'GET' && request.url === `/api/v1/clients/${ID}/`) return json(response, 200, client)
    json(response, 400, {error: `Bad${CONTROLS}`, message: `Rejected${CONTROLS}`, details: {email: [`bad${CONTROLS}`]}})
  })
})
afterAll(() => gateway.close())

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli([...args, '--api-base', gateway.apiBase, '--max-retries', '0'], {env: {UMMAH_SECRET_KEY: 'sk_test_Controls0123456789', ...env}})
}

describe('server text on the terminal', {timeout: 60_000}, () => {
  it('tables, object views, errors and --debug traces carry no raw control byte, on a terminal and piped', async () => {
    const runs = [
      ['clients', 'list'],
      ['clients', 'retrieve', ID],
      ['clients', 'update', ID, '--email', 'b@example.com'],
      ['clients', 'list', '--debug'],
    ]
    for (const args of runs) {
      for (const env of [{UMMAH_FORCE_TTY: '1', FORCE_COLOR: '1'}, {}] as Array<Record<string, string>>) {
        const result = await cli(args, env)
        const output = result.stdout + result.stderr
        // ESC appears only as the start of the CLI's own colour sequences (FORCE_COLOR), never as the server's.
        expect(output.replaceAll(/\u001b\[[\d;]*m/g, ''), `${args.join(' ')} ${JSON.stringify(env)}`).not.toMatch(RAW_CONTROL)
        expect(output, `${args.join(' ')} ${JSON.stringify(env)}`).toContain('\\e]0;pwned\\a')
      }
    }
  })

  it('--json is valid JSON with the exact values, and the error as JSON too', async () => {
    const list = await cli(['clients', 'list', '--json'])
    expect(list.code).toBe(0)
    expect(list.stdout).not.toMatch(RAW_CONTROL)
    expect(JSON.parse(list.stdout).results[0]).toEqual(client)
    const failed = await cli(['clients', 'update', ID, '--email', 'b@example.com', '--json'])
    expect(failed.code).toBe(2)
    expect(failed.stdout + failed.stderr).not.toMatch(RAW_CONTROL)
    expect(JSON.parse(failed.stdout).error.response).toEqual({
      error: `Bad${CONTROLS}`,
      message: `Rejected${CONTROLS}`,
      details: {email: [`bad${CONTROLS}`]},
    })
  })
})
