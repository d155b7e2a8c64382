/**
 * `--dry-run` on commands that change something: the recording gateway sees
 * nothing, and what is printed is exactly what the same command sends without it.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {tempConfigDir, tempDir} from '../helpers/cli.js'
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

  /** The recorded requests but the probe for the sandbox helpers (GET /_sandbox/), as `METHOD URL` and body. */
  const sentSince = (before: number) =>
    gateway.requests
      .slice(before)
      .filter((request) => !(request.method === 'GET' && request.url === '/_sandbox/'))
      .map((request) => ({line: `${request.method} ${gateway.origin}${request.url}`, body: request.body ? JSON.parse(request.body) : null}))

  it('a fixture and trigger: every request in order, earlier responses as {name.field}, nothing sent (not even the probe)', async () => {
    const file = join(tempDir(), 'checkout.json')
    writeFileSync(
      file,
      JSON.stringify({
        requests: [
          {name: 'client', method: 'POST', path: '/clients/', body: {email: '${env:DRY_EMAIL:-dry@example.com}'}},
          {
            name: 'purchase',
            method: 'POST',
            path: '/purchases/',
            body: {client_id: '${client:id}', purchase: {products: [{name: 'Tea', price: 350}]}},
          },
          {name: 'cancel', method: 'POST', path: '/purchases/${purchase:id}/cancel/'},
          {name: 'gone', method: 'DELETE', path: '/clients/${client:id}/'},
        ],
      }),
    )
    for (const args of [
      ['fixtures', 'run', file],
      ['trigger', 'purchase.refunded'],
    ]) {
      const before = gateway.requests.length
      const dry = await runInProcess([...args, '--dry-run', '--json'], {env: {...env(), DRY_EMAIL: 'env@example.com'}})
      expect(dry.code, dry.stderr).toBe(0)
      expect(gateway.requests.length, args.join(' ')).toBe(before)
      const shown = JSON.parse(dry.stdout).requests as Array<{method: string; url: string; body: unknown; headers: Record<string, string>}>
      for (const request of shown) expect(request.headers.authorization).toBe('Bearer sk_test_…abcd')
      // Run for real: the gateway answers every request with id ID, so each placeholder is ID.
      const sent = await runInProcess([...args, '--yes'].slice(0, args[0] === 'trigger' ? 2 : 4), {env: {...env(), DRY_EMAIL: 'env@example.com'}})
      expect(sent.code, sent.stderr).toBe(0)
      const filled = (text: string) => text.replaceAll(/\{(client|purchase)\.id\}/g, ID)
      expect(sentSince(before)).toEqual(
        shown.map((request) => ({
          line: filled(`${request.method} ${request.url}`),
          body: request.body === null ? null : JSON.parse(filled(JSON.stringify(request.body))),
        })),
      )
      if (args[0] === 'fixtures') {
        expect(shown.map((request) => `${request.method} ${request.url.replace(gateway.apiBase, '')}`)).toEqual([
          'POST /clients/',
          'POST /purchases/',
          'POST /purchases/{purchase.id}/cancel/',
          'DELETE /clients/{client.id}/',
        ])
        expect(shown[0].body).toEqual({email: 'env@example.com'})
        expect(shown[1].body).toMatchObject({client_id: '{client.id}'})
      } else {
        // The shipped fixture on a gateway on this machine: created, paid through the sandbox helper, refunded.
        expect(shown.map((request) => request.url.replace(gateway.origin, ''))).toEqual([
          '/api/v1/purchases/',
          '/_sandbox/purchases/{purchase.id}/pay',
          '/api/v1/purchases/{purchase.id}/refund/',
        ])
      }
    }
    const text = await runInProcess(['trigger', 'purchase.paid', '--dry-run'], {env: env()})
    expect(text.stdout).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/purchases\/\n/)
    expect(text.stdout).toMatch(/\n\nPOST http:\/\/127\.0\.0\.1:\d+\/_sandbox\/purchases\/\{purchase\.id\}\/pay\n/)
    expect(text.stdout).toMatch(/Dry run: nothing was sent\.\n$/)
    expect((await runInProcess(['trigger', 'purchase.paid', '--dry-run', '--wait'], {env: env()})).code).toBe(2)
  })

  it('-q/--quiet: no notes on stderr, the same result; api keeps -q for --query', async () => {
    const loud = await runInProcess(['clients', 'delete', ID, '--yes'], {env: env()})
    expect(loud).toMatchObject({code: 0, stderr: `Deleted client ${ID}.\n`})
    for (const flag of ['-q', '--quiet']) {
      const quiet = await runInProcess(['clients', 'delete', ID, '--yes', flag], {env: env()})
      expect(quiet).toMatchObject({code: 0, stderr: '', stdout: loud.stdout})
    }
    const before = gateway.requests.length
    expect((await runInProcess(['api', 'GET', '/clients/', '-q', 'email=a@example.com'], {env: env()})).code).toBe(0)
    expect(gateway.requests[before].url).toBe('/api/v1/clients/?email=a%40example.com')
  })

  it('api with any method: the request it would send, nothing sent', async () => {
    const before = gateway.requests.length
    const dry = await runInProcess(['api', 'DELETE', `/clients/${ID}/`, '--dry-run'], {env: env()})
    expect(dry.code, dry.stderr).toBe(0)
    expect(gateway.requests.length).toBe(before)
    expect(JSON.parse(dry.stdout)).toEqual({
      dry_run: true,
      requests: [
        {
          method: 'DELETE',
          url: `${gateway.apiBase}/clients/${ID}/`,
          headers: expect.objectContaining({authorization: 'Bearer sk_test_…abcd'}),
          body: null,
        },
      ],
    })
    const post = await runInProcess(['api', 'POST', '/purchases/', '-d', '{"a":1}', '-q', 'x=1', '--idempotency-key', 'k-1', '--dry-run'], {
      env: env(),
    })
    expect(JSON.parse(post.stdout).requests[0]).toMatchObject({
      url: `${gateway.apiBase}/purchases/?x=1`,
      body: {a: 1},
      headers: {'idempotency-key': 'k-1'},
    })
    // A path that would leave the API base is refused before anything is printed as if it would go.
    const away = await runInProcess(['api', 'POST', 'http://127.0.0.2:1/purchases/', '--dry-run'], {env: env()})
    expect(away.code).toBe(2)
    expect(gateway.requests.length).toBe(before)
  })

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
