/**
 * `trigger` against a gateway without the sandbox helpers (the real one, with
 * a test key): a stand-in that serves every documented endpoint and answers
 * 404 under /_sandbox/ (`sandbox start --no-helpers`, the real binary). The
 * events the API can cause arrive with documented endpoints only; the ones
 * that need a shopper's card exit 2 before anything is created.
 */
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, runCli, tempConfigDir, tempDir, track} from '../helpers/cli.js'
import {App, Listener, until} from './listen-harness.js'

let gateway: ChildProcessWithoutNullStreams
let apiBase = ''

beforeAll(async () => {
  gateway = track(
    spawn(
      process.execPath,
      [join(ROOT, 'bin', 'run.js'), 'sandbox', 'start', '--ephemeral', '--no-helpers', '--port', '0', '--json', '--retry-schedule', '0.2,0.4'],
      {env: {...process.env, UMMAH_CONFIG_DIR: tempDir('ummah-gw-')}},
    ),
  )
  let output = ''
  gateway.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  apiBase = await until(() => /"api_base":\s*"([^"]+)"/.exec(output)?.[1], 'the stand-in gateway', 20_000)
})
afterAll(() => {
  gateway.kill('SIGTERM')
})

describe('trigger on a gateway without /_sandbox/ helpers', {timeout: 120_000}, () => {
  it('causes purchase.created, .paid, .refunded and .cancelled with documented endpoints; refuses card-only events with exit 2, creating nothing', async () => {
    const key = `sk_test_real_${Math.random().toString(36).slice(2, 8)}`
    const env = {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: key, UMMAH_API_BASE: apiBase}
    // The stand-in really has no helpers.
    const origin = new URL(apiBase).origin
    expect((await fetch(`${origin}/_sandbox/`, {headers: {authorization: `Bearer ${key}`}})).status).toBe(404)
    expect(
      (await fetch(`${origin}/_sandbox/advance`, {method: 'POST', headers: {authorization: `Bearer ${key}`}, body: '{"seconds":1}'})).status,
    ).toBe(404)

    const app = new App()
    await app.start()
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/`], env)
    app.publicKey = (await listener.ready()).public_key

    const finals: string[] = []
    for (const event of ['purchase.created', 'purchase.paid', 'purchase.refunded', 'purchase.cancelled']) {
      const result = await runCli(['trigger', event, '--json'], {env})
      expect(result.code, `${event}: ${result.stderr}`).toBe(0)
      const responses = Object.values(JSON.parse(result.stdout) as Record<string, {status: string}>)
      finals.push(responses.at(-1)!.status)
    }
    expect(finals).toEqual(['created', 'paid', 'refunded', 'cancelled'])
    const types = ['purchase.created', 'purchase.paid', 'purchase.refunded', 'purchase.cancelled']
    await until(() => types.every((type) => app.received.some((item) => item.type === type)), 'the four event types at the app')
    expect(app.received.filter((item) => item.type === 'purchase.created').length).toBe(4)
    expect(app.received.every((item) => item.verified)).toBe(true)

    const list = async (what: string) => JSON.parse((await runCli([what, 'list', '--all', '--json'], {env})).stdout).results as unknown[]
    const [clientsBefore, templatesBefore] = [await list('clients'), await list('templates')]
    for (const event of [
      'purchase.hold',
      'purchase.captured',
      'purchase.released',
      'purchase.payment_failure',
      'billing_template.client_activated',
      'purchase.subscription_charge_failure',
    ]) {
      const result = await runCli(['trigger', event], {env})
      expect(result.code, event).toBe(2)
      expect(result.stderr).toMatch(
        new RegExp(`${event.replace('.', '\\.')} cannot be caused through the API on this gateway: it needs .*hosted checkout page`),
      )
      expect(result.stderr).toContain('Nothing was created')
    }
    // Nothing was created: no client, no template, and no purchase.created beyond the four. A purchase made after the
    // refused triggers arrives fifth: the listener forwards in order, so anything they had created would have come first.
    expect((await runCli(['trigger', 'purchase.created'], {env})).code).toBe(0)
    await until(() => app.received.filter((item) => item.type === 'purchase.created').length >= 5, 'the purchase made after the refusals')
    expect(app.received.filter((item) => item.type === 'purchase.created').length).toBe(5)
    expect(await list('clients')).toEqual(clientsBefore)
    expect(await list('templates')).toEqual(templatesBefore)
    await listener.stop()
    await app.stop()
  })
})
