/**
 * A cheap guard for start-up speed: help and version load none of the heavy
 * modules (undici, inquirer, cli-table3, chalk, conf, the sandbox, the
 * listener); they load only in the commands that use them.
 */
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {Config} from '@oclif/core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, tempConfigDir} from '../helpers/cli.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

const HEAVY = [/node_modules\/undici\//, /node_modules\/@inquirer\//, /node_modules\/cli-table3\//, /node_modules\/chalk\//, /node_modules\/conf\//, /\/dist\/sandbox\//, /\/dist\/webhooks\//]

/** The module URLs a run resolves; async, so a server in this process can answer it. */
async function modulesLoadedBy(args: string[], env: Record<string, string> = {}): Promise<string[]> {
  const trace = join(mkdtempSync(join(tmpdir(), 'ummah-trace-')), 'trace.txt')
  await promisify(execFile)(process.execPath, ['--import', join(ROOT, 'test', 'helpers', 'trace-imports.mjs'), join(ROOT, 'bin', 'run.js'), ...args], {
    env: {...process.env, UMMAH_IMPORT_TRACE: trace, UMMAH_CONFIG_DIR: tempConfigDir(), CI: 'true', ...env},
  })
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean)
}

let gateway: TestServer
beforeAll(async () => {
  gateway = await startServer((_request, response) => json(response, 200, {id: 'p-1', status: 'paid'}))
})
afterAll(() => gateway.close())

describe('start-up imports', () => {
  it.each([[['--version']], [['--help']], [['purchases', 'retrieve', '--help']], [['webhooks', 'listen', '--help']], [['sandbox', 'start', '--help']]])('ummah %j loads no heavy module', async (args) => {
    const loaded = await modulesLoadedBy(args)
    expect(loaded.length).toBeGreaterThan(0)
    for (const pattern of HEAVY) expect(loaded.filter((url) => pattern.test(url)), String(pattern)).toEqual([])
  })

  it('--version answers without oclif, with exactly oclif\'s text', async () => {
    const loaded = await modulesLoadedBy(['--version'])
    expect(loaded.filter((url) => url.includes('/@oclif/'))).toEqual([])
    const {stdout} = await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'run.js'), '--version'])
    const config = await Config.load(ROOT)
    expect(stdout).toBe(`${config.userAgent}\n`)
  })

  it('an API command loads undici (the trace sees lazy imports), but neither the sandbox nor the listener', async () => {
    const loaded = await modulesLoadedBy(['purchases', 'retrieve', 'p-1', '--json'], {UMMAH_API_BASE: gateway.apiBase, UMMAH_SECRET_KEY: 'sk_test_trace'})
    expect(loaded.some((url) => /node_modules\/undici\//.test(url))).toBe(true)
    expect(loaded.filter((url) => /node_modules\/undici\/index\.js$/.test(url))).toEqual([])
    expect(loaded.filter((url) => /\/dist\/(sandbox|webhooks)\//.test(url))).toEqual([])
  })
})
