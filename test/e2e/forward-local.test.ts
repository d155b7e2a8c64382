/**
 * A name accepted as "this machine" connects to loopback without asking DNS:
 * `listen --forward my-app.localhost:PORT` runs in a mount namespace whose
 * /etc/hosts says my-app.localhost is 127.0.0.2, where a recorder listens on
 * the same port; the app on 127.0.0.1 gets the event and the recorder
 * nothing. And `--headers` that would split or reframe a request are
 * refused at start.
 */
import {spawnSync} from 'node:child_process'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {App, Listener, until} from './listen-harness.js'

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [100, 200], statementDelayMs: 0})
})
afterAll(() => sandbox.close())

// A private mount namespace needs root (CI runs as root); elsewhere the test says why it cannot run.
const canUnshare = spawnSync('unshare', ['--mount', 'true']).status === 0

describe('forward targets', {timeout: 90_000}, () => {
  it.runIf(canUnshare)('--forward NAME.localhost connects to loopback, never where the resolver points', async () => {
    const app = new App()
    await app.start()
    const recorded: string[] = []
    const recorder = createServer((request, response) => {
      recorded.push(`${request.method} ${request.url}`)
      response.writeHead(200).end()
    })
    await new Promise<void>((resolve) => recorder.listen(app.port, '127.0.0.2', resolve))
    expect((recorder.address() as AddressInfo).port).toBe(app.port)
    const hosts = join(tempDir(), 'hosts')
    writeFileSync(hosts, '127.0.0.2 my-app.localhost\n127.0.0.1 localhost\n')
    const key = `sk_test_fwd_${Math.random().toString(36).slice(2, 10)}`
    const env = {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: key, UMMAH_API_BASE: sandbox.apiBase}
    // The resolver of this namespace answers 127.0.0.2 for my-app.localhost: checked, so the test would see a DNS lookup.
    const resolved = spawnSync(
      'unshare',
      [
        '--mount',
        'sh',
        '-c',
        `mount --bind ${hosts} /etc/hosts && exec "${process.execPath}" -e "require('dns').lookup('my-app.localhost', (e, a) => console.log(a))"`,
      ],
      {encoding: 'utf8'},
    )
    expect(resolved.stdout.trim()).toBe('127.0.0.2')
    const listener = new Listener(['--forward', `my-app.localhost:${app.port}/webhook`], env, [
      'unshare',
      '--mount',
      'sh',
      '-c',
      `mount --bind ${hosts} /etc/hosts && exec "$0" "$@"`,
    ])
    try {
      app.publicKey = (await listener.ready()).public_key
      expect((await runCli(['trigger', 'purchase.created'], {env})).code).toBe(0)
      await until(() => app.received.length === 1, 'the event at the app on 127.0.0.1')
      expect(app.received[0].verified).toBe(true)
      // The Host header names what was typed.
      expect(app.received[0].headers.host).toBe(`my-app.localhost:${app.port}`)
      expect(recorded).toEqual([])
    } finally {
      listener.child.kill('SIGTERM')
      await listener.exited
      await app.stop()
      await new Promise<void>((resolve) => recorder.close(() => resolve()))
    }
  })

  it('--headers and --forward-auth header: that would split or reframe a request are exit 2 at start', async () => {
    const cases = [
      ['--headers', 'X-Env: dev\r\nX-Admin: 1'],
      ['--headers', 'X-Env: dev\nInjected: 1'],
      ['--headers', 'X-Env: a\u0001b'],
      ['--headers', 'Transfer-Encoding: chunked'],
      ['--headers', 'Content-Length: 0'],
      ['--headers', 'Connection: close'],
      ['--headers', 'Host: evil.example'],
      ['--forward-auth', 'header:Host:evil.example'],
      ['--forward-auth', 'header:X-Token:a\rb'],
    ]
    for (const [flag, value] of cases) {
      const result = await runCli(['webhooks', 'listen', '--forward', '3000', flag, value], {
        env: {UMMAH_SECRET_KEY: 'sk_test_headers0123456789', UMMAH_API_BASE: sandbox.apiBase},
      })
      expect(result.code, `${flag} ${JSON.stringify(value)}: ${result.stderr}`).toBe(2)
      expect(result.stderr).toMatch(/cannot hold a line break|cannot set/)
    }
  })
})
