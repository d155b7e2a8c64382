import {afterEach, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

const KEY = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'
let server: TestServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

const created = {id: 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', status: 'created', checkout_url: 'http://127.0.0.1/checkout/d6c9'}

describe('retries and idempotency (through the real binary)', () => {
  it('retries a create through 503, a dropped connection and a 429 with Retry-After, with one Idempotency-Key', async () => {
    server = await startServer((_request, response, index) => {
      if (index === 0) return json(response, 503, {error: 'server_error', message: 'Try again'})
      if (index === 1) {
        response.socket?.destroy()
        return
      }
      if (index === 2) return json(response, 429, {error: 'rate_limit_exceeded', message: 'Slow down'}, {'retry-after': '1'})
      return json(response, 201, created)
    })

    const result = await runCli(['api', 'POST', '/purchases/', '-d', '{"client":{"email":"a@example.com"}}', '--max-retries', '3', '--json'], {
      env: {UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: server.apiBase},
    })

    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual(created)
    expect(server.requests).toHaveLength(4)
    const keys = new Set(server.requests.map((request) => request.headers['idempotency-key']))
    expect(keys.size).toBe(1)
    expect([...keys][0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    // Same body on every attempt.
    expect(new Set(server.requests.map((request) => request.body)).size).toBe(1)
    // The 429 said Retry-After: 1, so the fourth attempt came at least a second after the third.
    expect(server.requests[3].at - server.requests[2].at).toBeGreaterThanOrEqual(950)
  })

  it('reuses a given --idempotency-key on every retry', async () => {
    server = await startServer((_request, response, index) => (index === 0 ? json(response, 502, {}) : json(response, 200, created)))
    const result = await runCli(['api', 'POST', '/purchases/', '-d', '{}', '--idempotency-key', 'order-1001'], {
      env: {UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: server.apiBase},
    })
    expect(result.code).toBe(0)
    expect(server.requests.map((request) => request.headers['idempotency-key'])).toEqual(['order-1001', 'order-1001'])
  })

  it('gives up after --max-retries with the rate-limit exit code', async () => {
    server = await startServer((_request, response) => json(response, 429, {error: 'rate_limit_exceeded'}, {'retry-after': '0'}))
    const result = await runCli(['api', 'GET', '/balance/', '--max-retries', '2'], {env: {UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: server.apiBase}})
    expect(result.code).toBe(6)
    expect(server.requests).toHaveLength(3)
    expect(result.stderr).toMatch(/^Error: Rate limited by the gateway after 3 attempts/)
  })

  it('times out a request that never answers, with the network exit code', async () => {
    server = await startServer(() => {
      // Never answer.
    })
    const result = await runCli(['api', 'GET', '/balance/', '--timeout', '1', '--max-retries', '0'], {
      env: {UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: server.apiBase},
    })
    expect(result.code).toBe(7)
    expect(result.stderr).toMatch(/timed out/)
  })

  it.each([
    [
      400,
      {error: 'Bad Request', details: {'client.email': ['This field is required.'], 'purchase.products': ['This field is required.']}},
      2,
      /rejected POST \/purchases\/ \(400\)/,
    ],
    [401, {error: 'invalid_api_key', message: 'The API key is missing, malformed, or revoked.'}, 3, /Authentication failed \(401\).*ummah login/],
    [
      404,
      {error: 'Not Found', detail: 'Object with this ID does not exist.'},
      4,
      /Not found: POST \/purchases\/ \(404\): Object with this ID does not exist\./,
    ],
    [409, {error: 'Conflict', message: 'Purchase is not paid.'}, 5, /Conflict \(409\): Purchase is not paid\./],
  ])('does not retry %i and exits with its code and a one-line message', async (status, body, exitCode, message) => {
    server = await startServer((_request, response) => json(response, status, body))
    const result = await runCli(['api', 'POST', '/purchases/', '-d', '{}'], {env: {UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: server.apiBase}})
    expect(server.requests).toHaveLength(1)
    expect(result.code).toBe(exitCode)
    expect(result.stdout).toBe('')
    const [first, ...rest] = result.stderr.trimEnd().split('\n')
    expect(first).toMatch(/^Error: /)
    expect(first).toMatch(message)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    // Only field errors get lines of their own, one per field.
    expect(rest).toEqual(status === 400 ? ['  client.email: This field is required.', '  purchase.products: This field is required.'] : [])
  })

  it('names the current state of the object on a 409 for an action', async () => {
    server = await startServer((request, response) =>
      request.method === 'GET'
        ? json(response, 200, {id: 'p1', status: 'created'})
        : json(response, 409, {error: 'Conflict', message: 'Purchase is not paid.'}),
    )
    const result = await runCli(['api', 'POST', '/purchases/p1/refund/'], {env: {UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: server.apiBase}})
    expect(result.code).toBe(5)
    expect(result.stderr).toContain('currently "created"')
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /api/v1/purchases/p1/refund/',
      'GET /api/v1/purchases/p1/',
    ])
  })

  it('prints a JSON error object with --json', async () => {
    server = await startServer((_request, response) => json(response, 404, {error: 'Not Found', detail: 'Object with this ID does not exist.'}))
    const result = await runCli(['api', 'GET', '/purchases/nope/', '--json'], {env: {UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: server.apiBase}})
    expect(result.code).toBe(4)
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: {code: 'not_found', status: 404, response: {error: 'Not Found', detail: 'Object with this ID does not exist.'}},
    })
  })

  it('answers `ummah api GET /balance/` with the server JSON', async () => {
    const balance = {balance: [{currency: 'USD', amount: 125_000}]}
    server = await startServer((_request, response) => json(response, 200, balance))
    const result = await runCli(['api', 'GET', '/balance/', '--api-base', server.apiBase, '--api-key', 'sk_test_x'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual(balance)
    expect(server.requests[0].headers.authorization).toBe('Bearer sk_test_x')
    expect(server.requests[0].headers['user-agent']).toMatch(/^ummah-cli\/\d+\.\d+\.\d+ node\/\d+\.\d+\.\d+ \w+$/)
    expect(server.requests[0].url).toBe('/api/v1/balance/')
  })
})

describe('list commands', () => {
  it('follow next links for --limit and --all, and print the first page as the API returned it by default', async () => {
    const pages = [
      {
        results: [
          {id: 'c1', email: 'a@example.com'},
          {id: 'c2', email: 'b@example.com'},
        ],
        next: '/api/v1/clients/?page=2',
        previous: null,
      },
      {results: [{id: 'c3', email: 'c@example.com'}], next: null, previous: '/api/v1/clients/?page=1'},
    ]
    server = await startServer((request, response) => json(response, 200, pages[request.url.endsWith('page=2') ? 1 : 0]))
    const env = {env: {UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: server.apiBase}}

    expect(JSON.parse((await runCli(['clients', 'list', '--json'], env)).stdout)).toEqual(pages[0])
    const all = JSON.parse((await runCli(['clients', 'list', '--all', '--json'], env)).stdout)
    expect(all.results.map((client: {id: string}) => client.id)).toEqual(['c1', 'c2', 'c3'])
    const limited = await runCli(['clients', 'list', '--limit', '3'], env)
    expect(
      limited.stdout
        .split('\n')
        .filter(Boolean)
        .map((row) => row.split('\t').slice(0, 2)),
    ).toEqual([
      ['c1', 'a@example.com'],
      ['c2', 'b@example.com'],
      ['c3', 'c@example.com'],
    ])

    // `ummah api --paginate`, as `gh api --paginate`: every page of a GET.
    server.requests.length = 0
    const paged = await runCli(['api', 'GET', '/clients/', '--paginate'], env)
    expect(paged.code, paged.stderr).toBe(0)
    expect(JSON.parse(paged.stdout).results.map((client: {id: string}) => client.id)).toEqual(['c1', 'c2', 'c3'])
    expect(server.requests.map((request) => request.url)).toEqual(['/api/v1/clients/', '/api/v1/clients/?page=2'])
    const post = await runCli(['api', 'POST', '/clients/', '--paginate'], env)
    expect(post.code).toBe(2)
    expect(post.stderr).toMatch(/^Error: --paginate follows pages of a GET\./)
  })
})
