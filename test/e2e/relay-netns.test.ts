/**
 * The relay across a real network boundary: the gateway (the sandbox) runs in
 * a network namespace of its own, joined to this host by a veth pair. It
 * reaches the relay at the host's end of the pair, and cannot reach this
 * host's loopback, where the app and `webhooks listen --relay` are: exactly a
 * public gateway and a laptop behind NAT. Needs root (CI runs as root).
 */
import {type ChildProcessWithoutNullStreams, execFileSync, spawn} from 'node:child_process'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, runCli, tempConfigDir, tempDir, track} from '../helpers/cli.js'
import {App, Listener, until} from './listen-harness.js'
import {ADMIN_TOKEN, RelayProcess, inspectorPort, listeningPorts} from './relay-harness.js'

const suffix = String(process.pid % 10_000)
const NS = `ummah-gw-${suffix}`
const HOST_IF = `ugh${suffix}`
const NS_IF = `ugn${suffix}`
// A /30 of 10.231/16 picked by pid, so parallel runs do not collide.
const block = (process.pid % 16_000) * 4
const HOST_IP = `10.${231 + Math.floor(block / 65_536)}.${Math.floor(block / 256) % 256}.${(block % 256) + 1}`
const NS_IP = HOST_IP.replace(/\.(\d+)$/, (_match, last: string) => `.${Number(last) + 1}`)

const ip = (...args: string[]) => execFileSync('ip', args, {stdio: 'pipe'})

let gateway: ChildProcessWithoutNullStreams
let apiBase = ''

beforeAll(async () => {
  ip('netns', 'add', NS)
  ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF)
  ip('link', 'set', NS_IF, 'netns', NS)
  ip('addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF)
  ip('link', 'set', HOST_IF, 'up')
  ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/30`, 'dev', NS_IF)
  ip('netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up')
  ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up')
  gateway = track(
    spawn(
      'ip',
      [
        'netns',
        'exec',
        NS,
        process.execPath,
        join(ROOT, 'bin', 'run.js'),
        'sandbox',
        'start',
        '--ephemeral',
        '--host',
        NS_IP,
        '--port',
        '0',
        '--json',
        '--retry-schedule',
        '0.2,0.4,0.8,1.6',
      ],
      {env: {...process.env, UMMAH_CONFIG_DIR: tempDir('ummah-gw-')}},
    ),
  )
  let output = ''
  gateway.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  gateway.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[gateway] ${chunk}`))
  apiBase = await until(() => /"api_base":\s*"([^"]+)"/.exec(output)?.[1], 'the gateway in its namespace', 20_000)
})

afterAll(async () => {
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once('exit', resolve))
    gateway.kill('SIGTERM')
    await exited
  }
  // Deleting the namespace deletes its end of the pair, and with it the host's end.
  try {
    ip('netns', 'del', NS)
  } catch {
    // Already gone.
  }
})

/** Whether a TCP connection from inside the gateway's namespace to host:port succeeds (in 2 s). */
function reachableFromGateway(host: string, port: number): boolean {
  const script = `const s=require('net').connect(${port},'${host}');s.setTimeout(2000);s.on('connect',()=>{console.log('yes');process.exit(0)});s.on('error',()=>{console.log('no');process.exit(0)});s.on('timeout',()=>{console.log('no');process.exit(0)})`
  return execFileSync('ip', ['netns', 'exec', NS, process.execPath, '-e', script], {encoding: 'utf8'}).trim() === 'yes'
}

describe('ummah relay across network namespaces', {timeout: 120_000}, () => {
  it('a gateway that cannot reach the laptop delivers through the relay: every event verified and byte-identical', async () => {
    expect(apiBase).toBe(apiBase.replace('127.0.0.1', NS_IP))
    const relay = new RelayProcess(['--host', HOST_IP, '--port', '0', '--data-dir', tempDir('ummah-relay-')])
    const relayUrl = await relay.ready()
    const app = new App()
    await app.start()

    // The boundary is real: the gateway reaches the relay, not the app on the laptop's loopback.
    expect(reachableFromGateway(HOST_IP, Number(new URL(relayUrl).port))).toBe(true)
    expect(reachableFromGateway('127.0.0.1', app.port)).toBe(false)

    const key = `sk_test_netns_${suffix}`
    const env = {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: key, UMMAH_API_BASE: apiBase}
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/hook`, '--relay', relayUrl, '--relay-token', ADMIN_TOKEN], env)
    const ready = await listener.ready()
    app.publicKey = ready.public_key
    await until(() => listener.lines.some((line) => line.type === 'relay' && line.state === 'connected'), 'the stream')
    expect(listeningPorts(listener.child.pid!)).toEqual(inspectorPort(ready))

    const events = ['purchase.paid', 'purchase.refunded', 'purchase.cancelled']
    for (const event of events) {
      const result = await runCli(['trigger', event], {env})
      expect(result.code, result.stderr).toBe(0)
    }
    await until(
      () => [...events, 'purchase.created'].every((type) => app.received.some((item) => item.type === type)),
      'the events at the app',
      30_000,
    )
    const ids = app.received.map((item) => item.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const item of app.received) {
      expect(item.verified, item.type).toBe(true)
      expect(item.raw.toString('utf8')).toBe(JSON.stringify(JSON.parse(item.raw.toString('utf8'))))
    }
    expect(await listener.stop()).toBe(0)
    expect(listener.lines.at(-1)).toMatchObject({type: 'summary', received: ids.length, delivered: ids.length, rejected: 0, duplicates: 0})
    await app.stop()
    await relay.stop()
  })
})
