/**
 * `listen --chaos`: with a fixed seed against the example app (verifies,
 * checks the time window, de-duplicates) the summary's counts are the app's
 * own log's; against an app that accepts everything, the bad signatures and
 * stale events it accepted are named and the exit code says so; live keys refused.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {ROOT, runCli, tempConfigDir, track} from '../helpers/cli.js'
import {Listener, listenerKey, until} from './listen-harness.js'

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, statementDelayMs: 0})
})
afterAll(() => sandbox.close())

function profile() {
  return {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: 'sk_test_chaos', UMMAH_API_BASE: sandbox.apiBase}
}

/** A spawned app on a free port, its log collected. */
async function spawnApp(script: string, env: Record<string, string> = {}): Promise<{child: ChildProcess; url: string; log: () => string}> {
  let out = ''
  const child = track(spawn(process.execPath, [script, '0'], {env: {...process.env, ...env}}))
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const url = (await until(() => /App listening on (http:\/\/\S+)/.exec(out)?.[1], 'the app'))!
  return {child, url, log: () => out}
}

const count = (log: string, pattern: RegExp) => (log.match(pattern) ?? []).length

describe('webhooks listen --chaos', {timeout: 120_000}, () => {
  it('against the example app: the summary counts every kind as the app logged it, and the run passes', async () => {
    const env = profile()
    const key = await listenerKey(env)
    const app = await spawnApp(join(ROOT, 'examples', 'webhook-app.mjs'), {UMMAH_WEBHOOK_PUBLIC_KEY: key})
    const spec = 'duplicate=0.3,reorder=0.3,delay=0-30ms,stale=0.3,badsig=0.3'
    const listener = new Listener(['--forward', app.url, '--events', 'purchase.created', '--chaos', spec, '--seed', '42'], env)
    expect((await listener.ready()).chaos_seed).toBe(42)
    const triggered = await runCli(['trigger', 'purchase.created', '--count', '30', '--wait', '30s', '--json'], {env, timeoutMs: 60_000})
    expect(triggered.code, triggered.stderr).toBe(0)
    expect(await listener.stop()).toBe(0)
    const summary = listener.lines.find((line) => line.type === 'summary')!
    const {kinds, called_out: calledOut, seed} = summary.chaos
    expect(seed).toBe(42)
    expect(calledOut).toEqual([])
    const log = app.log()
    // Each kind happened, and the app did with each what its log says.
    for (const kind of ['duplicate', 'stale', 'badsig', 'delay']) expect(kinds[kind].injected, kind).toBeGreaterThan(0)
    expect(count(log, /^VERIFIED purchase\.created /gm)).toBe(30)
    expect(kinds.duplicate).toEqual({injected: count(log, /^DUPLICATE /gm), accepted: count(log, /^DUPLICATE /gm), refused: 0, other: 0})
    expect(kinds.stale).toEqual({
      injected: count(log, /^REJECTED stale event /gm),
      accepted: 0,
      refused: count(log, /^REJECTED stale event /gm),
      other: 0,
    })
    expect(kinds.badsig).toEqual({
      injected: count(log, /^REJECTED invalid signature /gm),
      accepted: 0,
      refused: count(log, /^REJECTED invalid signature /gm),
      other: 0,
    })
    expect(kinds.delay.injected).toBe(30)
    expect(kinds.delay.accepted).toBe(30)
    app.child.kill()
  })

  it('against an app that accepts everything: the bad signatures and stale events it took are named, exit 1', async () => {
    const env = profile()
    const app = await spawnApp(join(ROOT, 'test', 'fixtures', 'apps', 'no-signature-check.mjs'))
    const listener = new Listener(['--forward', app.url, '--events', 'purchase.created', '--chaos', 'stale=1,badsig=1', '--seed', '7'], env)
    await listener.ready()
    const triggered = await runCli(['trigger', 'purchase.created', '--count', '3', '--wait', '20s', '--json'], {env})
    expect(triggered.code, triggered.stderr).toBe(0)
    expect(await listener.stop()).toBe(1)
    const {kinds, called_out: calledOut} = listener.lines.find((line) => line.type === 'summary')!.chaos
    expect(kinds.badsig).toEqual({injected: 3, accepted: 3, refused: 0, other: 0})
    expect(kinds.stale).toEqual({injected: 3, accepted: 3, refused: 0, other: 0})
    expect(calledOut.filter((text: string) => /^accepted a bad signature: evt-[\w-]+$/.test(text))).toHaveLength(3)
    expect(calledOut.filter((text: string) => /^accepted a stale event: evt-[\w-]+$/.test(text))).toHaveLength(3)
    app.child.kill()
  })

  it('refuses a live key and a bad spec before starting', async () => {
    const env = profile()
    const live = await runCli(['webhooks', 'listen', '--forward', ':3000', '--chaos', 'badsig=0.1'], {
      env: {...env, UMMAH_SECRET_KEY: 'sk_live_chaos_refused'},
    })
    expect([live.code, live.stderr]).toEqual([
      2,
      'Error: --chaos runs with test keys only: it sends your app forged and stale copies. Use a profile with an sk_test_ key, e.g. -p sandbox.\n',
    ])
    const bad = await runCli(['webhooks', 'listen', '--forward', ':3000', '--chaos', 'lose=0.5'], {env})
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^Error: --chaos: "lose=0\.5" is not one of duplicate, reorder, delay, stale, badsig with a value\./)
  })
})
