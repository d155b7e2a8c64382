/**
 * `webhooks listen --relay` and `relay channels …` behind a corporate proxy
 * (HTTP_PROXY): the admin calls go to the proxy by absolute URL, the stream
 * through its CONNECT tunnel, and the events arrive. The relay's name
 * (relay.ummah.test) is never resolved: the proxy answers for it and every
 * connection it makes goes to the relay on 127.0.0.1.
 */
import {type IncomingMessage, createServer, request as httpRequest} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {tunnelTo} from '../helpers/server.js'
import {App, Listener, until} from './listen-harness.js'
import {ADMIN_TOKEN, RelayProcess} from './relay-harness.js'

const KEY = 'sk_test_relay_proxy_e2e'
let sandbox: Sandbox
let relay: RelayProcess
let relayPort = 0
let proxyUrl = ''
let closeProxy: () => Promise<void>
const seen: Array<{method: string; target: string; authorization?: string}> = []

beforeAll(async () => {
  sandbox = await startSandbox({port: 0, statementDelayMs: 0})
  relay = new RelayProcess(['--port', '0', '--data-dir', tempDir('ummah-relay-')])
  relayPort = Number(new URL(await relay.ready()).port)
  const sockets = new Set<Socket>()
  const server = createServer((request, response) => {
    seen.push({method: request.method ?? '', target: request.url ?? '', authorization: request.headers['proxy-authorization']})
    // Forwarded by absolute URL: to the relay, whatever host was named.
    const target = new URL(request.url ?? '/')
    const upstream = httpRequest(
      {host: '127.0.0.1', port: relayPort, method: request.method, path: `${target.pathname}${target.search}`, headers: request.headers},
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      },
    )
    upstream.on('error', () => response.destroy())
    request.pipe(upstream)
  })
  server.on('connect', (request: IncomingMessage, client: Socket) => {
    seen.push({method: 'CONNECT', target: request.url ?? '', authorization: request.headers['proxy-authorization']})
    tunnelTo(client, relayPort, sockets)
  })
  server.on('connection', (socket: Socket) => sockets.add(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxyUrl = `http://user:proxy-pass-1234@127.0.0.1:${(server.address() as AddressInfo).port}`
  closeProxy = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
})
afterAll(async () => {
  await closeProxy?.()
  await relay?.stop()
  await sandbox?.close()
})

describe('the relay through a proxy', {timeout: 60_000}, () => {
  it('listen --relay: the channel made by absolute URL, the stream through a CONNECT tunnel, every event at the app', async () => {
    const relayUrl = `http://relay.ummah.test:${relayPort}`
    const env = {
      UMMAH_CONFIG_DIR: tempConfigDir(),
      UMMAH_SECRET_KEY: KEY,
      UMMAH_API_BASE: sandbox.apiBase,
      UMMAH_RELAY_TOKEN: ADMIN_TOKEN,
      HTTP_PROXY: proxyUrl,
    }
    const app = new App()
    await app.start()
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/hook`, '--relay', relayUrl], env)
    app.publicKey = (await listener.ready()).public_key
    await until(() => listener.lines.some((line) => line.type === 'relay' && line.state === 'connected'), 'the stream connected')
    // The gateway (the sandbox, on this machine) posts to the relay's ingress directly: loopback never uses the proxy.
    expect((await runCli(['trigger', 'purchase.paid'], {env})).code).toBe(0)
    await until(() => app.received.length === 2, 'two events at the app')
    expect(app.received.every((item) => item.verified)).toBe(true)
    expect(app.received.map((item) => item.type).sort()).toEqual(['purchase.created', 'purchase.paid'])

    const basic = `Basic ${Buffer.from('user:proxy-pass-1234').toString('base64')}`
    expect(seen.filter((each) => each.method === 'CONNECT')).toContainEqual({
      method: 'CONNECT',
      target: `relay.ummah.test:${relayPort}`,
      authorization: basic,
    })
    expect(seen.some((each) => each.method !== 'CONNECT' && each.target.startsWith(`${relayUrl}/v1/channels`) && each.authorization === basic)).toBe(
      true,
    )
    // Nothing for the sandbox (loopback) went through it.
    expect(seen.every((each) => each.target.includes('relay.ummah.test'))).toBe(true)
    expect(listener.stderr).not.toContain('proxy-pass-1234')
    expect(await listener.stop()).toBe(0)
    await app.stop()

    // The admin commands go the same way.
    const before = seen.length
    const listed = await runCli(['relay', 'channels', 'list', '--relay', relayUrl, '--json'], {env})
    expect(listed.code, listed.stderr).toBe(0)
    expect((JSON.parse(listed.stdout) as Array<{name: string}>).length).toBe(1)
    expect(seen.slice(before)).toEqual([{method: 'GET', target: `${relayUrl}/v1/channels`, authorization: basic}])
  })
})
