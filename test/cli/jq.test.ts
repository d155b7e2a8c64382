/** `--jq EXPR` through the real binary: real jq (WebAssembly), gh's output rules, and nothing sent when the expression is bad. */

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli, tempConfigDir} from '../helpers/cli.js'
import {type TestServer, json, startServer} from '../helpers/server.js'
import {onTerminal} from '../helpers/pty.js'

const KEY = 'sk_test_jqjqjqjq1234'
const CLIENTS = [
  {id: 'c-1', email: 'ana@example.com', full_name: 'Ana', created_on: 1_700_000_000},
  {id: 'c-2', email: 'bo@example.com', full_name: 'Bo "B" Tab\there', created_on: 1_700_000_100},
]

let gateway: TestServer
beforeAll(async () => {
  gateway = await startServer((request, response) => {
    if (request.url.startsWith('/api/v1/clients/?') || request.url === '/api/v1/clients/') {
      if (request.method === 'POST') return json(response, 201, {...CLIENTS[0], id: 'c-new'})
      return json(response, 200, {results: CLIENTS, next: null, previous: null})
    }
    if (request.url === '/api/v1/clients/00000000-0000-4000-8000-000000000000/')
      return json(response, 404, {error: 'not_found', message: 'Object with this ID does not exist'})
    return json(response, 200, {id: 'x', nested: {list: [1, 2, 3]}})
  })
})
afterAll(() => gateway.close())

const ummah = (args: string[]) => runCli([...args, '--api-key', KEY, '--api-base', gateway.apiBase])

describe('--jq', {timeout: 60_000}, () => {
  it('strings print raw, one per line; other values as compact JSON when piped', async () => {
    const emails = await ummah(['clients', 'list', '--jq', '.results[].email'])
    expect(emails).toMatchObject({code: 0, stderr: ''})
    expect(emails.stdout).toBe('ana@example.com\nbo@example.com\n')

    const objects = await ummah(['clients', 'list', '--jq', '.results[] | {id, full_name}'])
    expect(objects.stdout).toBe('{"id":"c-1","full_name":"Ana"}\n{"id":"c-2","full_name":"Bo \\"B\\" Tab\\there"}\n')

    // Real jq, not a path lookup: functions, arithmetic, string interpolation.
    const computed = await ummah(['clients', 'list', '--jq', '[.results[].created_on] | add / 2 | tostring + " s"'])
    expect(computed.stdout).toBe('1700000050 s\n')

    const nothing = await ummah(['clients', 'list', '--jq', '.results[] | select(.id == "none")'])
    expect(nothing).toMatchObject({code: 0, stdout: ''})
  })

  it('applies to `api` output and to a created object', async () => {
    const raw = await ummah(['api', 'GET', '/anything/', '--jq', '.nested.list | map(. * 10)'])
    expect(raw).toMatchObject({code: 0, stdout: '[10,20,30]\n'})
    const created = await ummah(['clients', 'create', '--email', 'ana@example.com', '--jq', '.id'])
    expect(created).toMatchObject({code: 0, stdout: 'c-new\n'})
  })

  it('a bad or empty expression is a usage error (exit 2) and nothing is sent', async () => {
    const before = gateway.requests.length
    const syntax = await ummah(['clients', 'create', '--email', 'ana@example.com', '--jq', '.id |'])
    expect(syntax.code).toBe(2)
    expect(syntax.stdout).toBe('')
    expect(syntax.stderr).toMatch(/^Error: --jq: syntax error, unexpected end of file at <top-level>, line 1, column 5: Quote the expression/)
    expect(syntax.stderr.trim().split('\n')).toHaveLength(1)

    const empty = await ummah(['clients', 'list', '--jq', ''])
    expect(empty.code).toBe(2)
    expect(empty.stderr).toBe('Error: --jq: the expression is empty. Give one, e.g. --jq .id (or leave --jq out).\n')
    expect(gateway.requests.length).toBe(before)
  })

  it('a filter that fails on the output prints what it printed, then the error, exit 1', async () => {
    const result = await ummah(['clients', 'list', '--jq', '.results[0].email, .next[]'])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('ana@example.com\n')
    expect(result.stderr).toBe('Error: --jq: Cannot iterate over null (null). Check the expression against the output of --json.\n')
  })

  it('API errors are not filtered: text on stderr with their exit code, nothing on stdout', async () => {
    const result = await ummah(['clients', 'retrieve', '00000000-0000-4000-8000-000000000000', '--jq', '.id'])
    expect(result.code).toBe(4)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      'Error: Not found: GET /clients/00000000-0000-4000-8000-000000000000/ (404): Object with this ID does not exist. Check the ID, and that the profile (test or live) is the one that owns it.\n',
    )
  })

  it('on a terminal, JSON results are indented as jq does', async () => {
    const env = {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: gateway.apiBase}
    const {code, raw} = await onTerminal(['clients', 'list', '--jq', '.results[0] | {id, email}'], [], env)
    expect(code).toBe(0)
    expect(raw.replaceAll('\r\n', '\n')).toBe('{\n  "id": "c-1",\n  "email": "ana@example.com"\n}\n')
  })
})
