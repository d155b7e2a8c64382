/**
 * A relay whose clock jumps 4 days ahead (libfaketime) while a listener is
 * away: its retention trims entries the listener never read, and the
 * listener is told exactly how many, loudly (text and NDJSON), never a
 * silent "waiting: 0".
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {formatListenLine} from '../../src/cli/listen-output.js'
import {createStyle} from '../../src/cli/output.js'
import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import type {ListenLine} from '../../src/webhooks/pipeline.js'
import {accountId} from '../../src/sandbox/store.js'
import {tempConfigDir} from '../helpers/cli.js'
import {App, Listener, createPurchases, until} from './listen-harness.js'
import {ADMIN_TOKEN, restartableRelay, savedSeq} from './relay-harness.js'

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [200, 400], statementDelayMs: 0})
})
afterAll(() => sandbox.close())

describe('the relay with a clock 4 days ahead', {timeout: 120_000}, () => {
  it('trims what a stopped listener had not read, and the listener reports exactly how many', async () => {
    const relays = await restartableRelay()
    const {url} = relays
    const key = `sk_test_clock_${Math.random().toString(36).slice(2, 10)}`
    const configDir = tempConfigDir()
    const env = {UMMAH_CONFIG_DIR: configDir, UMMAH_SECRET_KEY: key, UMMAH_API_BASE: sandbox.apiBase}
    const purchases = (count: number) => createPurchases(sandbox.apiBase, key, count)
    const acknowledged = () =>
      (sandbox.store.state.accounts[accountId(key)]?.deliveries ?? []).filter((record) => record.webhook_id && record.response_code === 200).length
    const app = new App()
    await app.start()
    const args = ['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', url, '--relay-token', ADMIN_TOKEN]
    let listener = new Listener(args, env)
    try {
      app.publicKey = (await listener.ready()).public_key
      await purchases(2)
      await until(() => app.received.length === 2 && savedSeq(configDir) === 2, 'two events read and their place saved')
      // Away without unsubscribing (a laptop that died): the gateway keeps sending to the relay.
      listener.child.kill('SIGKILL')
      await listener.exited
      await purchases(10)
      await until(() => acknowledged() === 12, 'the relay to store the ten events')
      // The relay restarted with its clock 4 days ahead: retention (72 h) trims all twelve entries.
      await relays.restart({FAKETIME_DONT_FAKE_MONOTONIC: '1'}, ['faketime', '-f', '+4d'])
      await until(() => relays.relay().lines.find((line) => line.type === 'trimmed'), 'the relay to trim by its clock')

      listener = new Listener(args, env)
      await listener.ready()
      const missed = await until(
        () => listener.lines.find((line) => line.type === 'relay' && line.state === 'missed'),
        'the listener to say what it missed',
      )
      expect(missed.missed).toBe(10)
      // As a person reads it.
      expect(formatListenLine(missed as ListenLine, await createStyle(false))).toContain(
        'relay: 10 events were trimmed before this listener read them',
      )
      expect(listener.lines.find((line) => line.type === 'relay' && line.state === 'connected')).toMatchObject({waiting: 0})
      expect(app.received).toHaveLength(2)
    } finally {
      listener.child.kill('SIGKILL')
      await app.stop()
      await relays.relay().stop('SIGKILL')
    }
  })
})
