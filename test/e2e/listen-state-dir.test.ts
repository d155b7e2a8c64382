/**
 * The listener's spool, lock and state live in the state directory
 * ($XDG_STATE_HOME/ummah/listen), not the config directory. An older ummah's
 * files there are moved on the first run that looks for them, pending events
 * and all: the next listener delivers them first.
 */
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {runCli, tempDir} from '../helpers/cli.js'
import {freePort} from '../helpers/server.js'
import {App, Listener, until} from './listen-harness.js'

const KEY = 'sk_test_state_dir_e2e'
let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, statementDelayMs: 0})
})
afterAll(() => sandbox.close())

describe('the listener in the state directory', {timeout: 60_000}, () => {
  it("moves an older ummah's spool from the config directory without losing a pending event", async () => {
    const home = tempDir('ummah-xdg-')
    const [config, state] = [join(home, 'config'), join(home, 'state')]
    const xdg = {HOME: home, XDG_CONFIG_HOME: config, XDG_STATE_HOME: state, UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: sandbox.apiBase}
    const ummah = (args: string[]) => runCli(args, {env: {...xdg, UMMAH_CONFIG_DIR: undefined}})

    // An older ummah's layout: the listener's files under the config directory, two events pending (the app is down).
    const port = await freePort()
    const old = new Listener(['--forward', `127.0.0.1:${port}/hook`], {...xdg, UMMAH_STATE_DIR: join(config, 'ummah')})
    const ready = await old.ready()
    expect((await ummah(['trigger', 'purchase.paid'])).code).toBe(0)
    await until(() => old.lines.filter((line) => line.type === 'event').length === 2, 'two events spooled')
    const pending = old.lines.filter((line) => line.type === 'event').map((line) => line.id)
    await old.stop('SIGKILL')
    expect(readdirSync(join(config, 'ummah', 'listen')).sort()).toEqual(['default.json', 'default.lock', 'default.spool'])

    // The first command that looks moves the directory whole; the events are still pending.
    const listed = JSON.parse((await ummah(['webhooks', 'events', 'list', '--json'])).stdout) as Array<{id: string; status: string}>
    expect(listed.map((row) => [row.id, row.status]).sort()).toEqual(pending.map((id) => [id, 'pending']).sort())
    expect(existsSync(join(config, 'ummah', 'listen'))).toBe(false)
    expect(readdirSync(join(state, 'ummah', 'listen'))).toContain('default.spool')

    // The next listener (no UMMAH_CONFIG_DIR, no UMMAH_STATE_DIR) finds them there, with the same webhook and key, and delivers them first.
    const app = new App()
    await app.start(port)
    app.publicKey = ready.public_key
    const next = new Listener(['--forward', `127.0.0.1:${port}/hook`], xdg)
    const again = await next.ready()
    expect([again.pending, again.webhook_id]).toEqual([2, ready.webhook_id])
    await until(() => app.received.length === 2, 'the two pending events at the app')
    expect(app.received.map((item) => item.id)).toEqual(pending)
    expect(app.received.every((item) => item.verified)).toBe(true)
    expect(await next.stop()).toBe(0)
    await app.stop()
  })
})
