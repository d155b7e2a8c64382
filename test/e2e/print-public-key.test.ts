/**
 * `webhooks listen --print-public-key` prints the key of the webhook that a
 * `listen` with the same flags uses, and only reads: a team channel's shared
 * webhook with `--relay --channel`, the profile's own otherwise; on a new
 * profile (or a channel nobody listens on yet) it exits 4 and creates nothing.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {accountId} from '../../src/sandbox/store.js'
import {runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {App, Listener} from './listen-harness.js'
import {RelayProcess, admin} from './relay-harness.js'

let sandbox: Sandbox
let relay: RelayProcess
let url = ''
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, statementDelayMs: 0})
  relay = new RelayProcess(['--port', '0', '--data-dir', tempDir('ummah-relay-')])
  url = await relay.ready()
})
afterAll(async () => {
  relay.stop()
  await sandbox.close()
})

function developer(key: string, token = '') {
  const configDir = tempConfigDir()
  const env = {UMMAH_CONFIG_DIR: configDir, UMMAH_SECRET_KEY: key, UMMAH_API_BASE: sandbox.apiBase, UMMAH_RELAY_TOKEN: token}
  return {listen: (args: string[]) => new Listener(args, env), ummah: (args: string[]) => runCli(args, {env})}
}

/** The webhooks the sandbox holds for this key: what a command created. */
const webhooksOf = (key: string) => Object.values(sandbox.store.state.accounts[accountId(key)]?.webhooks ?? {})

describe('webhooks listen --print-public-key', {timeout: 60_000}, () => {
  it('on a new profile: exit 4 with what to do, and no webhook made', async () => {
    const key = `sk_test_ppk_${Math.random().toString(36).slice(2, 10)}`
    const me = developer(key)
    const printed = await me.ummah(['webhooks', 'listen', '--print-public-key'])
    expect(printed.code).toBe(4)
    expect(printed.stdout).toBe('')
    expect(printed.stderr).toMatch(/^Error: Profile "default" has no listener webhook yet: --print-public-key only reads\. Start/)
    expect(printed.stderr).toContain('Start `ummah webhooks listen --forward …` once')
    expect(printed.stderr.trim().split('\n')).toHaveLength(1)
    expect(webhooksOf(key)).toHaveLength(0)
    // After a listener ran once, the same key as its Ready line, every time.
    const app = new App()
    await app.start()
    const listener = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`])
    const ready = await listener.ready()
    expect(await listener.stop()).toBe(0)
    const again = await me.ummah(['webhooks', 'listen', '--print-public-key'])
    expect(again).toMatchObject({code: 0, stdout: `${ready.public_key.trim()}\n`})
    expect(webhooksOf(key)).toHaveLength(1)
    await app.stop()
  })

  it('--relay --channel NAME: the running team listener key, not the personal one; nothing made before anyone listened', async () => {
    const created = await admin(url, 'POST', '/v1/channels', {name: 'team-keys'})
    expect(created.status).toBe(201)
    const token = created.body.token.token as string
    const key = `sk_test_ppk_team_${Math.random().toString(36).slice(2, 8)}`
    const team = ['--relay', url, '--channel', 'team-keys']
    const newcomer = developer(key, token)

    const early = await newcomer.ummah(['webhooks', 'listen', '--print-public-key', ...team])
    expect(early.code).toBe(4)
    expect(early.stderr).toMatch(/^Error: No webhook delivers to relay channel team-keys yet\. Start/)
    expect(webhooksOf(key)).toHaveLength(0)

    // A teammate's personal listener first (its own webhook, its own key), then the team listener.
    const app = new App()
    await app.start()
    const teammate = developer(key, token)
    const personal = teammate.listen(['--forward', `127.0.0.1:${app.port}/mine`])
    const personalReady = await personal.ready()
    const teamListener = developer(key, token).listen(['--forward', `127.0.0.1:${app.port}/team`, ...team])
    const teamReady = await teamListener.ready()
    expect(teamReady.public_key).not.toBe(personalReady.public_key)
    const before = JSON.stringify(webhooksOf(key))

    // From the teammate's profile (whose own webhook is the personal one) and from a new profile alike.
    for (const who of [teammate, newcomer]) {
      const printed = await who.ummah(['webhooks', 'listen', '--print-public-key', ...team])
      expect(printed, printed.stderr).toMatchObject({code: 0, stdout: `${teamReady.public_key.trim()}\n`})
      const json = await who.ummah(['webhooks', 'listen', '--print-public-key', ...team, '--format', 'json'])
      expect(JSON.parse(json.stdout)).toEqual({webhook_id: teamReady.webhook_id, public_key: teamReady.public_key})
    }
    expect((await teammate.ummah(['webhooks', 'listen', '--print-public-key'])).stdout).toBe(`${personalReady.public_key.trim()}\n`)
    // Only read: the webhooks are as the listeners left them (callbacks, subscriptions), and no new one.
    expect(JSON.stringify(webhooksOf(key))).toBe(before)
    expect(await teamListener.stop()).toBe(0)
    expect(await personal.stop()).toBe(0)
    await app.stop()
  })
})
