/**
 * The sandbox for CI scripts and laptops (#15): a ready file written once it
 * listens (and gone at exit), a health check that needs no key, `ummah
 * sandbox clock`, state kept across restarts by default (--ephemeral for
 * none), and a `trigger` that moves only what it created.
 */
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {BRAND} from '../sandbox/helpers.js'
import {ROOT, runCli, tempDir, track} from '../helpers/cli.js'
import {until} from './listen-harness.js'

/** `sandbox start` with these flags and data directory; resolves with its ready file's contents and a stop(). */
async function startBinary(flags: string[], dataDir: string) {
  const readyFile = join(tempDir('ummah-ready-'), 'ready.json')
  const child = track(
    spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'sandbox', 'start', '--port', '0', '--ready-file', readyFile, ...flags], {
      env: {...process.env, UMMAH_CONFIG_DIR: tempDir('ummah-sb-'), UMMAH_DATA_DIR: dataDir},
    }),
  )
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const ready = await until(
    () => (existsSync(readyFile) ? (JSON.parse(readFileSync(readyFile, 'utf8')) as {api_base: string; origin: string}) : undefined),
    'the ready file',
    20_000,
  )
  return {
    ...ready,
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

async function api(base: string, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {authorization: `Bearer ${key}`, 'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return (await response.json()) as any
}

describe('sandbox start for scripts', {timeout: 60_000}, () => {
  it('--ready-file appears once it listens and goes at exit; /_sandbox/health needs no key; sandbox clock follows advance', async () => {
    const readyFile = join(tempDir('ummah-ready-'), 'sandbox.json')
    // A file left by an earlier run is not taken for this one.
    writeFileSync(readyFile, '{"api_base":"http://127.0.0.1:9/api/v1"}\n')
    const child = track(
      spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'sandbox', 'start', '--port', '0', '--ready-file', readyFile, '--ephemeral'], {
        env: {...process.env, UMMAH_CONFIG_DIR: tempDir('ummah-sb-')},
      }),
    )
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const ready = await until(
      () => {
        // The stale file may go (the sandbox removes it as it starts) between any two looks: gone is "not yet".
        let text: string
        try {
          text = readFileSync(readyFile, 'utf8')
        } catch {
          return undefined
        }
        const parsed = JSON.parse(text) as {api_base: string; origin: string; pid: number}
        return parsed.pid ? parsed : undefined
      },
      'the ready file',
      20_000,
    )
    expect(ready.pid).toBe(child.pid)
    expect(ready.api_base).toBe(`${ready.origin}/api/v1`)
    const health = await fetch(`${ready.origin}/_sandbox/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ok: true, helpers: true})

    const env = {UMMAH_SECRET_KEY: 'sk_test_clock', UMMAH_API_BASE: ready.api_base}
    const before = JSON.parse((await runCli(['sandbox', 'clock', '--json'], {env})).stdout) as {now: number; time: string; ahead_s: number}
    expect(Math.abs(before.now - Date.now() / 1000)).toBeLessThan(5)
    expect(before.time).toBe(new Date(before.now * 1000).toISOString())
    expect((await runCli(['sandbox', 'advance', '1d'], {env})).code).toBe(0)
    const after = JSON.parse((await runCli(['sandbox', 'clock', '--json'], {env})).stdout) as {now: number; ahead_s: number}
    expect(after.now - before.now).toBeGreaterThanOrEqual(86_400)
    expect(after.ahead_s).toBeGreaterThanOrEqual(86_399)

    child.kill('SIGTERM')
    await exited
    expect(existsSync(readyFile)).toBe(false)
  })
})

describe('sandbox state across restarts', {timeout: 90_000}, () => {
  it('keeps accounts by default in the data directory (0600 in 0700): the same webhook keys after a restart; --ephemeral keeps nothing', async () => {
    const dataDir = join(tempDir('ummah-home-'), 'data')
    const first = await startBinary([], dataDir)
    const webhook = await api(first.api_base, 'sk_test_restart', 'POST', '/webhooks/', {callback: 'https://shop.example/hook', all_events: true})
    const client = await api(first.api_base, 'sk_test_restart', 'POST', '/clients/', {email: 'kept@example.com'})
    await first.stop()
    const file = join(dataDir, 'sandbox.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    expect(readFileSync(file, 'utf8')).not.toContain('sk_test_restart')

    const second = await startBinary([], dataDir)
    expect(await api(second.api_base, 'sk_test_restart', 'GET', `/webhooks/${webhook.id}/`)).toEqual(webhook)
    expect((await api(second.api_base, 'sk_test_restart', 'GET', `/clients/${client.id}/`)).email).toBe('kept@example.com')
    await second.stop()

    const emptyDir = join(tempDir('ummah-home-'), 'data')
    const ephemeral = await startBinary(['--ephemeral'], emptyDir)
    await api(ephemeral.api_base, 'sk_test_restart', 'POST', '/clients/', {email: 'gone@example.com'})
    await ephemeral.stop()
    expect(existsSync(join(emptyDir, 'sandbox.json'))).toBe(false)
    const again = await startBinary(['--ephemeral'], emptyDir)
    expect((await api(again.api_base, 'sk_test_restart', 'GET', '/clients/')).results).toEqual([])
    await again.stop()
    expect((await runCli(['sandbox', 'start', '--ephemeral', '--data-file', join(emptyDir, 'x.json')])).code).toBe(2)
  })
})

describe('trigger moves only what it created', {timeout: 90_000}, () => {
  it('purchase.subscription_charge_failure, run 3 times: one failure each time, the account clock and earlier subscriptions untouched', async () => {
    const gateway = await startBinary(['--ephemeral'], tempDir('ummah-data-'))
    const key = 'sk_test_trigger_clock'
    const env = {UMMAH_SECRET_KEY: key, UMMAH_API_BASE: gateway.api_base}
    const template = await api(gateway.api_base, key, 'POST', '/billing_templates/', {
      brand_id: BRAND,
      is_subscription: true,
      purchase: {products: [{name: 'Plan', price: 999}], currency: 'USD'},
      subscription_period: 1,
      subscription_period_units: 'months',
    })
    const client = await api(gateway.api_base, key, 'POST', '/clients/', {email: 'bystander@example.com'})
    const {purchase} = await api(gateway.api_base, key, 'POST', `/billing_templates/${template.id}/add_subscriber/`, {client_id: client.id})
    await fetch(`${gateway.origin}/_sandbox/purchases/${purchase.id}/pay`, {method: 'POST', headers: {authorization: `Bearer ${key}`}})
    const before = await api(gateway.api_base, key, 'GET', `/billing_templates/${template.id}/clients/${client.id}/`)
    expect(before.status).toBe('active')
    const clockBefore = (await api(gateway.origin, key, 'GET', '/_sandbox/clock')).now
    for (let run = 0; run < 3; run++) {
      const result = await runCli(['trigger', 'purchase.subscription_charge_failure', '--json'], {env})
      expect(result.code, result.stderr).toBe(0)
      // Its own client's clock moved, renewing that one subscription only (it used to renew every earlier one again).
      const {client: made, advanced} = JSON.parse(result.stdout)
      expect(advanced).toMatchObject({client_id: made.id, renewals: 1, advanced_seconds: 32 * 86_400})
    }
    expect(Math.abs((await api(gateway.origin, key, 'GET', '/_sandbox/clock')).now - clockBefore)).toBeLessThan(5)
    expect(await api(gateway.api_base, key, 'GET', `/billing_templates/${template.id}/clients/${client.id}/`)).toEqual(before)
    await gateway.stop()
  })
})
