/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY: which requests go through which proxy
 * (a table of the rules), and the real binary through a local proxy that
 * records what it was asked: absolute-URL forwarding for http://, a CONNECT
 * tunnel for https:// with TLS checked end to end (a local TLS server for
 * api.ummah.test, trusted through NODE_EXTRA_CA_CERTS). The .test names are
 * never resolved: the proxy answers for them.
 */
import {readFileSync} from 'node:fs'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import {createServer as createTlsServer} from 'node:https'
import type {AddressInfo, Socket} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {noProxyMatcher, proxyFor} from '../../src/api/proxy.js'
import {ROOT, runCli, tempDir} from '../helpers/cli.js'
import {type TestServer, json, startServer, tunnelTo} from '../helpers/server.js'

const TLS = join(ROOT, 'test', 'fixtures', 'tls')
const KEY = 'sk_test_proxyproxy9876'
const STATEMENT = {id: 'stmt-1', status: 'completed', format: 'csv', download_url: 'http://files.ummah.test/statements/stmt-1.csv', size: 16}

describe('which proxy a request uses', () => {
  const env = {
    HTTPS_PROXY: 'http://proxy.corp:3128',
    HTTP_PROXY: 'proxy.corp:8080',
    NO_PROXY: 'internal.example, .corp.example, 10.0.0.0/8, 192.168.1.7, [2001:db8::1], files.example:8443',
  }
  it.each([
    ['https://api.ummah.test/api/v1/', 'http://proxy.corp:3128/'],
    ['http://api.ummah.test/api/v1/', 'http://proxy.corp:8080/'],
    ['http://127.0.0.1:4010/api/v1/', undefined],
    ['http://127.8.9.10/', undefined],
    ['http://localhost:4010/', undefined],
    ['http://sandbox.localhost:4010/', undefined],
    ['http://[::1]:4010/', undefined],
    ['https://internal.example/', undefined],
    ['https://api.internal.example/', undefined],
    ['https://notinternal.example/', 'http://proxy.corp:3128/'],
    ['https://corp.example/', undefined],
    ['https://x.corp.example/', undefined],
    ['http://10.1.2.3/', undefined],
    ['http://11.1.2.3/', 'http://proxy.corp:8080/'],
    ['http://192.168.1.7/', undefined],
    ['http://192.168.1.8/', 'http://proxy.corp:8080/'],
    ['https://[2001:db8::1]/', undefined],
    ['https://files.example:8443/', undefined],
    ['https://files.example/', 'http://proxy.corp:3128/'],
  ])('%s → %s', (url, proxy) => {
    expect(proxyFor(new URL(url), env)?.href).toBe(proxy)
  })

  it('upper case wins, lower case works alone, empty means unset, NO_PROXY=* turns it off', () => {
    const url = new URL('https://api.ummah.test/')
    expect(proxyFor(url, {HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2'})?.host).toBe('upper:1')
    expect(proxyFor(url, {https_proxy: 'http://lower:2'})?.host).toBe('lower:2')
    expect(proxyFor(url, {HTTPS_PROXY: ' '})).toBeUndefined()
    // An https:// request does not fall back to HTTP_PROXY (Go's rule).
    expect(proxyFor(url, {HTTP_PROXY: 'http://plain:3'})).toBeUndefined()
    expect(proxyFor(url, {HTTPS_PROXY: 'http://p:1', no_proxy: '*'})).toBeUndefined()
    expect(noProxyMatcher('')(url)).toBe(false)
  })

  it('a value that is not an http:// proxy is a usage error naming the variable', () => {
    const url = new URL('https://api.ummah.test/')
    expect(() => proxyFor(url, {HTTPS_PROXY: 'socks5://p:1080'})).toThrow('HTTPS_PROXY: socks5:// proxies are not supported')
    expect(() => proxyFor(url, {https_proxy: 'http://user:secret@[bad'})).toThrow('https_proxy: "http://…@[bad" is not a proxy URL')
  })
})

/** A forward proxy on 127.0.0.1: answers absolute-URL requests itself, tunnels CONNECT to the local TLS server. */
interface Proxy {
  url: string
  seen: Array<{method: string; target: string; headers: IncomingMessage['headers']}>
  /** Status to answer CONNECT with (200 tunnels). */
  connectStatus: number
  close(): Promise<void>
}

let proxy: Proxy
let tlsServer: Server
let tlsSeen: Array<{method: string; url: string; host?: string; authorization?: string}>
let direct: TestServer

function answer(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://x')
  if (url.pathname === '/api/v1/balance/') return json(response, 200, {balance: [{currency: 'EUR', amount: 4200}]})
  if (url.pathname === '/api/v1/company_statements/stmt-1/') return json(response, 200, STATEMENT)
  if (url.pathname === '/statements/stmt-1.csv') {
    response.writeHead(200, {'content-type': 'text/csv', 'content-length': '16'})
    return void response.end('date,amount\n1,2\n')
  }
  json(response, 404, {error: 'not_found', message: 'nothing here'})
}

beforeAll(async () => {
  tlsSeen = []
  tlsServer = createTlsServer(
    {key: readFileSync(join(TLS, 'test-only.key')), cert: readFileSync(join(TLS, 'test-only.crt'))},
    (request, response) => {
      tlsSeen.push({method: request.method ?? '', url: request.url ?? '', host: request.headers.host, authorization: request.headers.authorization})
      answer(request, response)
    },
  )
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve))
  const tlsPort = (tlsServer.address() as AddressInfo).port

  const seen: Proxy['seen'] = []
  const sockets = new Set<Socket>()
  const server = createServer((request, response) => {
    seen.push({method: request.method ?? '', target: request.url ?? '', headers: request.headers})
    answer(request, response)
  })
  server.on('connect', (request: IncomingMessage, client: Socket) => {
    seen.push({method: 'CONNECT', target: request.url ?? '', headers: request.headers})
    sockets.add(client)
    if (proxy.connectStatus !== 200) {
      client.end(`HTTP/1.1 ${proxy.connectStatus} Proxy Authentication Required\r\nproxy-authenticate: Basic\r\ncontent-length: 0\r\n\r\n`)
      return
    }
    // Every tunnel leads to the local TLS server, whatever host was asked for: nothing leaves 127.0.0.1.
    tunnelTo(client, tlsPort, sockets)
  })
  server.on('connection', (socket: Socket) => sockets.add(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    connectStatus: 200,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
  direct = await startServer((_request, response) => json(response, 200, {balance: [{currency: 'USD', amount: 1}]}))
})

afterAll(async () => {
  await proxy.close()
  tlsServer.closeAllConnections()
  await new Promise<void>((resolve) => tlsServer.close(() => resolve()))
  await direct.close()
})

beforeEach(() => {
  proxy.seen.length = 0
  proxy.connectStatus = 200
  tlsSeen.length = 0
})

const balance = (apiBase: string, env: Record<string, string>, flags = ['--json']) =>
  runCli(['balance', ...flags, '--api-key', KEY, '--api-base', apiBase], {env: {NODE_EXTRA_CA_CERTS: join(TLS, 'test-only.crt'), ...env}})

describe('the binary through a proxy', {timeout: 60_000}, () => {
  it('http://: the request goes to the proxy with the absolute URL, the key in it, once', async () => {
    const result = await balance('http://api.ummah.test/api/v1', {HTTP_PROXY: proxy.url})
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({balance: [{currency: 'EUR', amount: 4200}]})
    expect(proxy.seen.map(({method, target}) => `${method} ${target}`)).toEqual(['GET http://api.ummah.test/api/v1/balance/'])
    expect(proxy.seen[0].headers).toMatchObject({host: 'api.ummah.test', authorization: `Bearer ${KEY}`})
    expect(proxy.seen[0].headers['proxy-authorization']).toBeUndefined()
  })

  it('https://: a CONNECT tunnel with the proxy credentials; the proxy sees no path or key, TLS is verified end to end', async () => {
    const result = await balance('https://api.ummah.test/api/v1', {HTTPS_PROXY: proxy.url.replace('//', '//ci-user:p%40ss%3Aword@')})
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({balance: [{currency: 'EUR', amount: 4200}]})
    expect(proxy.seen.map(({method, target}) => `${method} ${target}`)).toEqual(['CONNECT api.ummah.test:443'])
    expect(proxy.seen[0].headers['proxy-authorization']).toBe(`Basic ${Buffer.from('ci-user:p@ss:word').toString('base64')}`)
    expect(proxy.seen[0].headers.authorization).toBeUndefined()
    expect(tlsSeen).toEqual([{method: 'GET', url: '/api/v1/balance/', host: 'api.ummah.test', authorization: `Bearer ${KEY}`}])
  })

  it('https:// without trusting the certificate fails: the tunnel does not switch TLS checks off', async () => {
    const result = await runCli(['balance', '--api-key', KEY, '--api-base', 'https://api.ummah.test/api/v1', '--max-retries', '0'], {
      env: {HTTPS_PROXY: proxy.url},
    })
    expect(result.code).toBe(7)
    expect(result.stderr).toMatch(
      /^Error: The connection to https:\/\/api\.ummah\.test failed \((SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/,
    )
    expect(tlsSeen).toEqual([])
  })

  it('a proxy that refuses CONNECT: exit 7 naming the proxy and its answer, no retry storm, nothing tunnelled', async () => {
    proxy.connectStatus = 407
    const result = await balance('https://api.ummah.test/api/v1', {HTTPS_PROXY: proxy.url}, [])
    expect(result.code).toBe(7)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      `Error: The connection to https://api.ummah.test failed: proxy ${new URL(proxy.url).host} refused CONNECT api.ummah.test:443: 407 Proxy Authentication Required. Check HTTPS_PROXY / HTTP_PROXY (and the credentials in it), or exempt the host with NO_PROXY.\n`,
    )
    expect(proxy.seen.map(({method}) => method)).toEqual(['CONNECT'])
    expect(tlsSeen).toEqual([])
  })

  it('statement downloads go through the proxy too, to the download URL', async () => {
    const cwd = tempDir()
    const result = await runCli(['statements', 'download', 'stmt-1', '--api-key', KEY, '--api-base', 'http://api.ummah.test/api/v1'], {
      cwd,
      env: {HTTP_PROXY: proxy.url},
    })
    expect(result.code).toBe(0)
    expect(readFileSync(join(cwd, 'statement-stmt-1.csv'), 'utf8')).toBe('date,amount\n1,2\n')
    expect(proxy.seen.map(({method, target}) => `${method} ${target}`)).toEqual([
      'GET http://api.ummah.test/api/v1/company_statements/stmt-1/',
      'GET http://files.ummah.test/statements/stmt-1.csv',
    ])
    // The key goes to the API, not to the file host.
    expect(proxy.seen[1].headers.authorization).toBeUndefined()
  })

  it('loopback (the sandbox) never goes through the proxy', async () => {
    const result = await balance(direct.apiBase, {HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url})
    expect(JSON.parse(result.stdout)).toEqual({balance: [{currency: 'USD', amount: 1}]})
    expect(proxy.seen).toEqual([])
    expect(direct.requests.at(-1)?.url).toBe('/api/v1/balance/')
  })

  it('a bad proxy variable is exit 2 and nothing is sent', async () => {
    const result = await balance('https://api.ummah.test/api/v1', {HTTPS_PROXY: 'socks5://127.0.0.1:1'}, [])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(
      'Error: HTTPS_PROXY: socks5:// proxies are not supported. Use an http:// proxy: https:// requests still run TLS end to end through its CONNECT tunnel.\n',
    )
    expect(proxy.seen).toEqual([])
  })

  it('a proxy that is not running: exit 7 saying it was the proxy', async () => {
    const closed = await startServer(() => {})
    await closed.close()
    for (const [apiBase, variable] of [
      ['https://api.ummah.test/api/v1', 'HTTPS_PROXY'],
      ['http://api.ummah.test/api/v1', 'HTTP_PROXY'],
    ]) {
      const result = await balance(apiBase, {[variable]: closed.origin}, ['--max-retries', '0'])
      expect(result.code).toBe(7)
      expect(result.stderr).toMatch(
        new RegExp(
          `^Error: The connection to ${apiBase.replace('/api/v1', '').replaceAll('.', '\\.')} failed: proxy 127\\.0\\.0\\.1:\\d+ refused the connection \\(ECONNREFUSED\\)\\. Check HTTPS_PROXY`,
        ),
      )
    }
  })
})
