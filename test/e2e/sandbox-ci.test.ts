/**
 * The sandbox for CI scripts (#15): a ready file written once it listens (and
 * gone at exit), a health check that needs no key, and `ummah sandbox clock`.
 */
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ROOT, runCli, tempDir, track} from '../helpers/cli.js'
import {until} from './listen-harness.js'

describe('sandbox start for scripts', {timeout: 60_000}, () => {
  it('--ready-file appears once it listens and goes at exit; /_sandbox/health needs no key; sandbox clock follows advance', async () => {
    const readyFile = join(tempDir('ummah-ready-'), 'sandbox.json')
    // A file left by an earlier run is not taken for this one.
    writeFileSync(readyFile, '{"api_base":"http://127.0.0.1:9/api/v1"}\n')
    const child = track(spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'sandbox', 'start', '--port', '0', '--ready-file', readyFile], {env: {...process.env, UMMAH_CONFIG_DIR: tempDir('ummah-sb-')}}))
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const ready = await until(() => {
      if (!existsSync(readyFile)) return undefined
      const parsed = JSON.parse(readFileSync(readyFile, 'utf8')) as {api_base: string; origin: string; pid: number}
      return parsed.pid ? parsed : undefined
    }, 'the ready file', 20_000)
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
