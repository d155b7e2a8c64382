import {afterEach, describe, expect, it} from 'vitest'

import {ApiClient, parseRetryAfter} from '../../src/api/client.js'
import {ConnectionError, NotFoundError} from '../../src/api/errors.js'
import {UmmahError} from '../../src/shared/errors.js'
import {collect, paginate} from '../../src/api/paginate.js'
import {type TestServer, freePort, json, startServer} from '../helpers/server.js'

let server: TestServer | undefined
let client: ApiClient | undefined

afterEach(async () => {
  await client?.close()
  await server?.close()
  client = undefined
  server = undefined
})

function makeClient(apiBase: string, extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}) {
  client = new ApiClient({apiKey: 'sk_test_0123456789abcdef', apiBase, userAgent: 'test', retryBaseDelayMs: 5, ...extra})
  return client
}

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000)
    expect(parseRetryAfter('0.5')).toBe(500)
    const now = Date.parse('Sun, 22 Nov 2026 10:00:00 GMT')
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:03 GMT', now)).toBe(3000)
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon')).toBeUndefined()
    expect(parseRetryAfter(undefined)).toBeUndefined()
  })
})

describe('ApiClient', () => {
  it('retries a connection refused and then reports it as a ConnectionError', async () => {
    // A port nothing listens on, and no test's listen(0) can be given meanwhile (freePort).
    const apiBase = `http://127.0.0.1:${await freePort()}/api/v1`
    const error = await makeClient(apiBase, {maxRetries: 1})
      .get('/balance/')
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).toMatchObject({code: 'connection_failed', errno: 'ECONNREFUSED', exitCode: 7, attempts: 2})
  })

  it('fails at once when Retry-After is longer than it will wait', async () => {
    server = await startServer((_request, response) => json(response, 503, {}, {'retry-after': '3600'}))
    const error = await makeClient(server.apiBase, {maxRetries: 3})
      .get('/balance/')
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({status: 503, exitCode: 7})
    expect(server.requests).toHaveLength(1)
  })

  it('maps documented error bodies to typed errors', async () => {
    server = await startServer((_request, response) => json(response, 404, {error: 'Not Found', detail: 'Object with this ID does not exist.'}))
    const error = await makeClient(server.apiBase)
      .get('/purchases/x/')
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error).toMatchObject({exitCode: 4, status: 404, path: '/purchases/x/'})
  })

  it('never sends the key to another origin', async () => {
    server = await startServer((_request, response) => json(response, 200, {}))
    const error = await makeClient(server.apiBase)
      .get('http://127.0.0.2:9/steal')
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UmmahError)
    expect((error as UmmahError).code).toBe('foreign_url')
    expect(server.requests).toHaveLength(0)
  })

  it('masks the key in its trace', async () => {
    server = await startServer((_request, response) => json(response, 200, {ok: true}))
    const lines: string[] = []
    await makeClient(server.apiBase, {trace: (line) => lines.push(line)}).get('/balance/')
    const trace = lines.join('\n')
    expect(trace).toContain('authorization: Bearer sk_test_…cdef')
    expect(trace).not.toContain('sk_test_0123456789abcdef')
    expect(trace).toMatch(/< 200 in \d+ ms/)
  })
})

describe('pagination', () => {
  async function pagedServer() {
    const pages = [
      {results: [1, 2], next: '/api/v1/items/?page=2', previous: null},
      {results: [3, 4], next: '/api/v1/items/?page=3', previous: '/api/v1/items/?page=1'},
      {results: [5], next: null, previous: '/api/v1/items/?page=2'},
    ]
    return startServer((request, response) => {
      const page = Number(new URL(request.url, 'http://x').searchParams.get('page') ?? '1')
      json(response, 200, {...pages[page - 1], next: pages[page - 1].next && `http://${request.headers.host}${pages[page - 1].next}`})
    })
  }

  it('follows next links to the end', async () => {
    server = await pagedServer()
    const items: number[] = []
    for await (const item of paginate<number>(makeClient(server.apiBase), '/items/')) items.push(item)
    expect(items).toEqual([1, 2, 3, 4, 5])
    expect(server.requests).toHaveLength(3)
  })

  it('returns the first page untouched, stops at --limit, and collects --all', async () => {
    server = await pagedServer()
    const api = makeClient(server.apiBase)
    expect((await collect(api, '/items/', undefined, {})).results).toEqual([1, 2])
    expect(server.requests).toHaveLength(1)
    expect((await collect(api, '/items/', undefined, {limit: 3})).results).toEqual([1, 2, 3])
    expect(await collect(api, '/items/', undefined, {all: true})).toEqual({results: [1, 2, 3, 4, 5], next: null, previous: null})
  })
})
