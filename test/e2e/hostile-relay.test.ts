/**
 * What a relay sends is not trusted: headers it adds to a genuine signed
 * entry never reach the app, an entry it made up is refused, and its close
 * reason and made-up bodies reach the terminal as text, never as control
 * sequences.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {runCli, tempConfigDir} from '../helpers/cli.js'
import {startHostileRelay} from '../helpers/hostile-relay.js'
import {App, Listener, createPurchases, until} from './listen-harness.js'

const TOKEN = 'hostile-relay-token-0123456789'
/** Title change, clipboard write (OSC 52), a link (OSC 8), screen clear, bell, and C1 CSI. */
const CONTROLS = '\u001b]0;pwned\u0007\u001b]52;c;ZXZpbA==\u0007\u001b]8;;http://evil.example/\u001b\\link\u001b]8;;\u001b\\\u001b[2J\u0007\u009b31m'
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [100, 200, 400], statementDelayMs: 0})
})
afterAll(() => sandbox.close())

function profile() {
  const key = `sk_test_hostile_${Math.random().toString(36).slice(2, 10)}`
  return {key, env: {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: key, UMMAH_API_BASE: sandbox.apiBase}}
}

const purchase = (key: string) => createPurchases(sandbox.apiBase, key, 1)

describe('a hostile relay', {timeout: 120_000}, () => {
  it('adds headers to a genuine signed entry: the app receives none of them', async () => {
    const added = {'x-forwarded-for': '203.0.113.9', 'x-admin': 'true', authorization: 'Bearer stolen', cookie: 'session=evil'}
    const relay = await startHostileRelay({channel: 'team', addHeaders: added})
    const me = profile()
    const app = new App()
    await app.start()
    const listener = new Listener(
      ['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', relay.url, '--relay-token', TOKEN, '--channel', 'team'],
      me.env,
    )
    try {
      app.publicKey = (await listener.ready()).public_key
      await purchase(me.key)
      await until(() => app.received.length === 1, 'the event to reach the app')
      const [received] = app.received
      // Genuine: verified by the app with the key listen printed, and by listen.
      expect(received.verified).toBe(true)
      // The listener prints the event's line once the app has answered: it may come a moment after the app has it.
      await until(() => listener.lines.some((line) => line.type === 'event'), "the event's line")
      expect(listener.lines.find((line) => line.type === 'event')?.verified).toBe(true)
      for (const name of Object.keys(added)) expect(received.headers, name).not.toHaveProperty(name)
      // What the gateway sent is all there.
      expect(received.headers['x-signature']).toBeTruthy()
      expect(received.headers['content-type']).toBe('application/json')
      expect(received.headers['user-agent']).toBe('Ummah-Sandbox-Webhooks/1.0')
    } finally {
      listener.child.kill('SIGTERM')
      await listener.exited
      await app.stop()
      await relay.close()
    }
  })

  it('streams a made-up entry full of control sequences and closes with them: listen refuses it and prints them as text', async () => {
    const relay = await startHostileRelay({channel: 'team'})
    const me = profile()
    const app = new App()
    await app.start()
    // A text-mode listener, as a person runs it: its whole output is checked for raw control bytes.
    const running = runCli(
      ['webhooks', 'listen', '--forward', `127.0.0.1:${app.port}/webhook`, '--relay', relay.url, '--relay-token', TOKEN, '--channel', 'team'],
      {env: me.env, timeoutMs: 60_000},
    )
    try {
      await until(() => relay.streams() > 0, 'listen to open the stream')
      relay.inject({
        headers: {'content-type': 'application/json', 'x-signature': 'AAAA'},
        body: Buffer.from(JSON.stringify({id: `evt${CONTROLS}`, type: `purchase.paid${CONTROLS}`})),
      })
      // The forged entry is answered (refused: the cursor moves past it), then the relay ends the stream with a hostile reason.
      await until(() => relay.acked() === '1', 'listen to answer the entry')
      relay.closeStreams(4401, 'token revoked\u001b]0;pwned\u0007\u001b[2J\u009b31m')
      const result = await running
      expect(result.code, result.stderr).toBe(3)
      const output = result.stdout + result.stderr
      expect(output).not.toMatch(RAW_CONTROL)
      // Shown, as text: the refused delivery and the close reason.
      expect(result.stdout).toContain('x refused 403 purchase.paid\\e]0;pwned\\a')
      expect(result.stderr).toContain('token revoked\\e]0;pwned\\a')
      expect(app.received).toEqual([])
    } finally {
      await app.stop()
      await relay.close()
    }
  })
})
