/**
 * `--dry-run` on commands that change something: the recording gateway sees
 * nothing, and what is printed is exactly what the same command sends without it.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {tempConfigDir} from '../helpers/cli.js'
import {runInProcess} from '../helpers/in-process.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

const KEY = 'sk_test_dry_run_0000abcd'
const ID = '3f2a5c1e-1111-4222-8333-944445555666'
let gateway: TestServer

beforeAll(async () => {
  gateway = await startServer((request, response) => json(response, request.method === 'DELETE' ? 204 : 200, {id: ID, status: 'refunded'}))
})
afterAll(() => gateway.close())

const env = () => ({UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: gateway.apiBase})

describe('--dry-run', () => {
  const cases: Array<[string, string[]]> = [
    [
      'a create',
      [
        'purchases',
        'create',
        '--brand-id',
        '409eb80e-3782-4b1d-afa8-b779759266a5',
        '--email',
        'dry@example.com',
        '--product',
        'Tea:350',
        '--currency',
        'EUR',
      ],
    ],
    ['a refund', ['purchases', 'refund', ID, '--amount', '500']],
    ['a delete', ['clients', 'delete', ID]],
  ]
  for (const [what, args] of cases) {
    it(`${what}: nothing sent, and the printed request is the one sent without it`, async () => {
      const before = gateway.requests.length
      // A POST's Idempotency-Key is new on every run unless given: given here, so both runs send the same.
      const fixed = args[0] === 'purchases' ? ['--idempotency-key', 'dry-run-key-1'] : []
      const dry = await runInProcess([...args, ...fixed, '--dry-run', '--json'], {env: env()})
      expect(dry.code, dry.stderr).toBe(0)
      expect(gateway.requests.length).toBe(before)
      const {dry_run: flag, requests} = JSON.parse(dry.stdout)
      expect(flag).toBe(true)
      expect(requests).toHaveLength(1)
      const [shown] = requests
      expect(shown.headers.authorization).toBe('Bearer sk_test_…abcd')

      const sent = await runInProcess([...args, ...fixed, ...(what === 'a create' ? [] : ['--yes'])], {env: env()})
      expect(sent.code, sent.stderr).toBe(0)
      const [recorded] = gateway.requests.slice(before)
      expect(`${recorded.method} ${gateway.origin}${recorded.url}`).toBe(`${shown.method} ${shown.url}`)
      expect(recorded.body ? JSON.parse(recorded.body) : null).toEqual(shown.body)
      for (const [name, value] of Object.entries(shown.headers as Record<string, string>)) {
        if (name !== 'authorization') expect(recorded.headers[name], name).toBe(value)
      }
      expect(recorded.headers.authorization).toBe(`Bearer ${KEY}`)
    })
  }

  it('as a person reads it: the request line, headers, body, and that nothing was sent', async () => {
    const before = gateway.requests.length
    const text = await runInProcess(['purchases', 'refund', ID, '--amount', '500', '--dry-run'], {env: env()})
    expect(text.code).toBe(0)
    expect(text.stdout.split('\n')[0]).toBe(`POST ${gateway.apiBase}/purchases/${ID}/refund/`)
    expect(text.stdout).toMatch(/\nauthorization: Bearer sk_test_…abcd\n/)
    expect(text.stdout).toMatch(
      /\ncontent-type: application\/json\nidempotency-key: [0-9a-f-]{36}\n\n\{\n {2}"amount": 500\n\}\n\nDry run: nothing was sent\.\n$/,
    )
    expect(text.stdout).not.toContain(KEY)
    expect(gateway.requests.length).toBe(before)
    // GETs have no --dry-run: nothing there changes anything.
    expect((await runInProcess(['purchases', 'retrieve', ID, '--dry-run'], {env: env()})).code).toBe(2)
  })
})
