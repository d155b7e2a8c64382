import {type ChildProcess, spawn} from 'node:child_process'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, runCli, tempConfigDir} from '../helpers/cli.js'
import {purchaseBody} from './helpers.js'

let child: ChildProcess
let apiBase: string
let output = ''

beforeAll(async () => {
  child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'sandbox', 'start', '--port', '0', '--ephemeral'], {
    env: {...process.env, UMMAH_CONFIG_DIR: tempConfigDir()},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  apiBase = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${output}`)), 15_000)
    child.stdout!.on('data', () => {
      const match = /Sandbox listening on (\S+)/.exec(output)
      if (match && output.includes('Ready')) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
  })
})

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL')
})

describe('ummah sandbox (the real binary)', () => {
  it('creates a purchase with `ummah api`, pays it with `ummah sandbox pay`, and shows it paid', async () => {
    const env = {env: {UMMAH_API_BASE: apiBase, UMMAH_SECRET_KEY: 'sk_test_cli'}}
    const created = await runCli(['api', 'POST', '/purchases/', '-d', JSON.stringify(purchaseBody())], env)
    expect(created.code).toBe(0)
    const purchase = JSON.parse(created.stdout)
    expect(purchase.checkout_url).toMatch(new RegExp(`^${apiBase.replace('/api/v1', '')}/checkout/`))
    expect((await fetch(purchase.checkout_url)).status).toBe(200)

    const paid = await runCli(['sandbox', 'pay', purchase.id, '--json'], env)
    expect(paid.code).toBe(0)
    expect(JSON.parse(paid.stdout)).toMatchObject({outcome: 'paid', purchase: {status: 'paid'}})
    const retrieved = await runCli(['api', 'GET', `/purchases/${purchase.id}/`], env)
    expect(JSON.parse(retrieved.stdout).status).toBe('paid')

    const advanced = await runCli(['sandbox', 'advance', '1d', '--json'], env)
    expect(JSON.parse(advanced.stdout)).toMatchObject({advanced_seconds: 86_400, renewals: 0})
    expect((await runCli(['sandbox', 'advance', 'soon'], env)).code).toBe(2)
    expect((await runCli(['sandbox', 'reset'], env)).code).toBe(2)
    expect((await runCli(['sandbox', 'reset', '--yes'], env)).code).toBe(0)
    expect((await runCli(['api', 'GET', `/purchases/${purchase.id}/`], env)).code).toBe(4)
  })

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(output).toContain('Stopped (SIGTERM)')
  })
})
