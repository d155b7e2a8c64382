/**
 * The key goes only to its own origin, under the API base's path, whatever
 * the spelling: typed paths (`api`), `next` links (`--all`, `--paginate`),
 * fixture paths and statement download URLs. A recording server on
 * 127.0.0.2 stands for "another host": it must see nothing, and the
 * gateway must see nothing either for what is refused before sending.
 */
import {writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/cli.js'
import {runInProcess as runCli} from '../helpers/in-process.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

const KEY = 'sk_test_OriginCheck0123456789abcdef'
const SECRET = 'env-secret-value-42'

let other: {host: string; requests: string[]; close(): Promise<void>}
let gateway: TestServer
/** What the gateway answers for the next page link or download URL, per test. */
let link = ''

beforeAll(async () => {
  const requests: string[] = []
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`)
    response.end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve))
  other = {
    host: `127.0.0.2:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  gateway = await startServer((request, response) => {
    if (request.url.startsWith('/api/v1/clients/'))
      return json(response, 200, {results: [{id: 'c1', email: 'a@example.com'}], next: link, previous: null})
    if (request.url.startsWith('/api/v1/company_statements/')) {
      return json(response, 200, {id: '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a', status: 'completed', format: 'csv', download_url: link})
    }
    json(response, 200, {})
  })
})
afterAll(async () => {
  await other.close()
  await gateway.close()
})
beforeEach(() => {
  other.requests.length = 0
  gateway.requests.length = 0
})

/** Every spelling that a forgiving URL parser reads as another host (or another scheme), `H` standing for it. */
function spellings(host: string): string[] {
  const [ip, port] = host.split(':')
  return [
    `\\\\${host}/p`,
    `\\/${host}/p`,
    `/\\${host}/p`,
    ` http://${host}/p`,
    `\thttp://${host}/p`,
    `\nhttp://${host}/p`,
    `ht\ttp://${host}/p`,
    `ht\ntp://${host}/p`,
    `http:\\\\${host}/p`,
    `http:/${host}/p`,
    `http:${host}/p`,
    `https:${host}/p`,
    `http://${host}/p`,
    `HTTP://${host}/p`,
    `//${host}/p`,
    `http://${host}\\@127.0.0.1/p`,
    `http://user@${host}/p`,
    `http://0x7f.0.0.2:${port}/p`,
    `http://2130706434:${port}/p`,
    `http://${ip.replaceAll('.', '。')}:${port}/p`,
    `http://１２７.０.０.２:${port}/p`,
    `ws://${host}/p`,
    `file:///etc/passwd`,
  ]
}

/** Paths that stay on the gateway's host but leave its API base's path. */
const OUTSIDE_PATH = ['../../x', '/../../../x', '%2e%2e/%2e%2e/x', '.%2e/.%2e/admin/', 'http://127.0.0.1:1/api/v1/']

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli([...args, '--api-base', gateway.apiBase, '--max-retries', '0'], {env: {UMMAH_SECRET_KEY: KEY, SOME_SECRET: SECRET, ...env}})
}

describe('the API key never leaves the API base', {timeout: 180_000}, () => {
  it('typed paths: every spelling is exit 2 and nothing is sent anywhere', async () => {
    for (const path of [...spellings(other.host), ...OUTSIDE_PATH]) {
      const result = await cli(['api', 'GET', path])
      expect(result.code, `${JSON.stringify(path)}: ${result.stderr}`).toBe(2)
      expect(result.stderr, JSON.stringify(path)).toContain('Refusing to send the API key')
      expect(result.stderr).not.toContain(KEY)
      expect(other.requests, JSON.stringify(path)).toEqual([])
      expect(gateway.requests, JSON.stringify(path)).toEqual([])
    }
    // The control: a path under the base is sent, with the key, to the gateway only.
    const fine = await cli(['api', 'GET', '/clients/'])
    expect(fine.code, fine.stderr).toBe(0)
    expect(gateway.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${KEY}`])
  })

  it('next links: `clients list --all` and `api --paginate` follow none of them (exit 1), and the other host sees nothing', async () => {
    for (const next of [...spellings(other.host), ...OUTSIDE_PATH]) {
      link = next
      for (const command of [
        ['clients', 'list', '--all'],
        ['api', 'GET', '/clients/', '--paginate'],
      ]) {
        gateway.requests.length = 0
        const result = await cli(command)
        expect(result.code, `${command[0]} ${JSON.stringify(next)}: ${result.stderr}`).toBe(1)
        expect(result.stderr).toContain('was not followed')
        expect(other.requests, JSON.stringify(next)).toEqual([])
        expect(
          gateway.requests.map((request) => request.url),
          JSON.stringify(next),
        ).toEqual(['/api/v1/clients/'])
      }
    }
    // The control: an origin-relative next under the base is followed.
    link = '/api/v1/clients/?page=2'
    gateway.requests.length = 0
    const loops = await cli(['clients', 'list', '--all'])
    // …and that page names itself as next: a loop, stopped at once.
    expect(gateway.requests.map((request) => request.url)).toEqual(['/api/v1/clients/', '/api/v1/clients/?page=2'])
    expect(loops.code).toBe(1)
    expect(loops.stderr).toContain('a page already fetched')
  })

  it('fixture paths: every spelling is exit 2, and ${env:…} is never expanded in a path', async () => {
    const dir = tempDir()
    for (const path of [...spellings(other.host), `\\\\${other.host}/x/\${env:SOME_SECRET}`, ...OUTSIDE_PATH]) {
      const file = join(dir, 'fixture.json')
      writeFileSync(file, JSON.stringify({requests: [{name: 'steal', method: 'GET', path}]}))
      const result = await cli(['fixtures', 'run', file])
      expect(result.code, `${JSON.stringify(path)}: ${result.stderr}`).toBe(2)
      expect(other.requests, JSON.stringify(path)).toEqual([])
      expect(gateway.requests, JSON.stringify(path)).toEqual([])
    }
    const file = join(dir, 'env-path.json')
    writeFileSync(file, JSON.stringify({requests: [{name: 'leak', method: 'GET', path: '/clients/${env:SOME_SECRET}/'}]}))
    const result = await cli(['fixtures', 'run', file])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("${env:SOME_SECRET} cannot be used in a request's path")
    expect(gateway.requests).toEqual([])
  })

  it('a fixture with a live key runs only with --live, even one that only reads', async () => {
    const file = join(tempDir(), 'read.json')
    writeFileSync(file, JSON.stringify({requests: [{name: 'list', method: 'GET', path: '/clients/'}]}))
    const refused = await cli(['fixtures', 'run', file], {UMMAH_SECRET_KEY: 'sk_live_fake_OriginCheck0123456789'})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('Pass --live')
    expect(gateway.requests).toEqual([])
    const allowed = await cli(['fixtures', 'run', file, '--live'], {UMMAH_SECRET_KEY: 'sk_live_fake_OriginCheck0123456789'})
    expect(allowed.code, allowed.stderr).toBe(0)
    expect(gateway.requests).toHaveLength(1)
  })

  it('statement download URLs: an ambiguous spelling downloads nothing (exit 1), a plain one on another host is fetched without the key', async () => {
    const dir = tempDir()
    const ambiguous = spellings(other.host).filter((url) => !/^https?:\/\/[^/\\]+\/p$/i.test(url) || /\\|@/.test(url))
    for (const url of ambiguous) {
      link = url
      const result = await cli(['statements', 'download', '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a', '-o', join(dir, 'x.csv')])
      expect(result.code, `${JSON.stringify(url)}: ${result.stderr}`).toBe(1)
      expect(result.stderr).toContain('is not a plain http(s) URL')
      expect(other.requests, JSON.stringify(url)).toEqual([])
    }
    link = `http://${other.host}/signed?x=1`
    const plain = await cli(['statements', 'download', '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a', '-o', join(dir, 'ok.csv')])
    expect(plain.code, plain.stderr).toBe(0)
    // Fetched from the storage host, with no Authorization header.
    expect(other.requests).toEqual(['GET /signed?x=1 '])
  })
})
