/**
 * The relay's commands from outside: bad input is one line and exit 2 with
 * nothing started or sent; refused tokens exit 3, an unreachable relay 7; the
 * channel commands against a real relay; and ingress on a full disk (a real
 * tmpfs): 503 while full, never 200 for an entry it did not store.
 */
import {execFileSync} from 'node:child_process'
import {statfsSync, writeFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import WebSocket from 'ws'

import {decodeEntry} from '../../src/relay/protocol.js'
import {startSandbox} from '../../src/sandbox/server.js'
import {runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {Listener, until} from './listen-harness.js'
import {ADMIN_TOKEN, RelayProcess} from './relay-harness.js'

let relay: RelayProcess
let url = ''
beforeAll(async () => {
  relay = new RelayProcess(['--port', '0', '--data-dir', tempDir('ummah-relay-')])
  url = await relay.ready()
})
afterAll(() => relay.stop())

const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(args, {env: {UMMAH_SECRET_KEY: 'sk_test_relay_cli', UMMAH_API_BASE: 'http://127.0.0.1:9/api/v1', ...env}})

describe('relay commands', {timeout: 60_000}, () => {
  it('relay start and relay channels list only the global flags that apply to them', async () => {
    const help = await runCli(['relay', 'start', '--help'])
    expect(help.code).toBe(0)
    const global = help.stdout.slice(help.stdout.indexOf('GLOBAL FLAGS'), help.stdout.indexOf('DESCRIPTION'))
    expect(global).toContain('--json')
    for (const flag of ['--api-key', '--api-base', '--live', '--max-retries', '--timeout', '--profile']) expect(global, flag).not.toContain(flag)
    const given = await runCli(['relay', 'start', '--api-key', 'sk_test_nothing_here'])
    expect(given.code).toBe(2)
    expect(given.stderr).toMatch(/^Error: Nonexistent flag: --api-key/)
    const channels = await runCli(['relay', 'channels', 'list', '--help'])
    const channelGlobals = channels.stdout.slice(channels.stdout.indexOf('GLOBAL FLAGS'), channels.stdout.indexOf('DESCRIPTION'))
    expect(channelGlobals).toContain('--profile')
    for (const flag of ['--api-key', '--live', '--max-retries']) expect(channelGlobals, flag).not.toContain(flag)
  })

  it('relay start refuses bad settings with exit 2 and one line, starting nothing', async () => {
    const cases: Array<[string[], Record<string, string | undefined>, RegExp]> = [
      [['--port', '0'], {UMMAH_RELAY_TOKEN: undefined}, /needs an admin token of at least 16 characters/],
      [['--port', '0', '--token', 'short'], {}, /at least 16 characters/],
      [['--port', '0', '--retention', 'forever'], {UMMAH_RELAY_TOKEN: ADMIN_TOKEN}, /--retention "forever" is not a duration/],
      [['--port', '0', '--max-body', '1tb'], {UMMAH_RELAY_TOKEN: ADMIN_TOKEN}, /--max-body "1tb" is not a size up to 64mb/],
      // Nothing connects: 127.0.0.1:1 would refuse, but the value is refused first.
      [['--port', '0', '--redis', 'redis+sentinel://127.0.0.1:1'], {UMMAH_RELAY_TOKEN: ADMIN_TOKEN}, /names no master/],
      [
        ['--port', '0', '--redis', 'http://u:hunter22@127.0.0.1:1'],
        {UMMAH_RELAY_TOKEN: ADMIN_TOKEN},
        /unknown scheme\. Use redis:\/\/, rediss:\/\/ or redis\+sentinel:\/\//,
      ],
      [['--port', '0', '--redis', 'redis://127.0.0.1:1', '--redis-wait-timeout', '0'], {UMMAH_RELAY_TOKEN: ADMIN_TOKEN}, /--redis-wait-timeout "0"/],
    ]
    for (const [args, env, message] of cases) {
      const result = await cli(['relay', 'start', ...args], env)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr).toMatch(message)
      expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2)
      expect(result.stdout).not.toMatch(/Ready/)
      expect(result.stdout + result.stderr).not.toContain('hunter22')
    }
    // The admin token never appears whole in what it prints.
    const busy = await cli(['relay', 'start', '--port', new URL(url).port, '--token', ADMIN_TOKEN])
    expect(busy.code).toBe(2)
    expect(busy.stderr).toMatch(/already in use/)
    expect(busy.stdout + busy.stderr).not.toContain(ADMIN_TOKEN)
  })

  it('channels create, list, tokens create and revoke, delete, through the commands', async () => {
    const env = {UMMAH_RELAY_TOKEN: ADMIN_TOKEN}
    const created = await cli(['relay', 'channels', 'create', 'cli-team', '--relay', url, '--json'], env)
    expect(created.code, created.stderr).toBe(0)
    const channel = JSON.parse(created.stdout)
    expect(channel).toMatchObject({name: 'cli-team', token_id: expect.stringMatching(/^tok_[0-9a-f]{12}$/), token: expect.stringMatching(/^urt_/)})
    expect(channel.ingress_url).toMatch(new RegExp(`^${url}/in/cli-team/[0-9a-f]{32}$`))
    expect((await cli(['relay', 'channels', 'create', 'cli-team', '--relay', url], env)).code).toBe(5)
    expect((await cli(['relay', 'channels', 'create', 'Bad_Name', '--relay', url], env)).code).toBe(2)
    const token = JSON.parse((await cli(['relay', 'channels', 'tokens', 'create', 'cli-team', '--relay', url, '--json'], env)).stdout)
    const listed = JSON.parse((await cli(['relay', 'channels', 'list', '--relay', url, '--json'], env)).stdout)
    // On a terminal its times read like every other table's; piped, the ISO text as the relay wrote it.
    const shown = await cli(['relay', 'channels', 'list', '--relay', url], {...env, UMMAH_FORCE_TTY: '1', NO_COLOR: '1', TZ: 'UTC'})
    expect(shown.stdout).toMatch(/^cli-team +.* {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/m)
    const piped = await cli(['relay', 'channels', 'list', '--relay', url], env)
    expect(piped.stdout).toMatch(/^cli-team\t\S+\t\S+, \S+\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/m)
    expect(listed.find((each: {name: string}) => each.name === 'cli-team').tokens).toBe(`${channel.token_id}, ${token.id}`)
    // A client token cannot manage channels (3); a wrong one is refused (3); a wrong relay is unreachable (7).
    expect((await cli(['relay', 'channels', 'list', '--relay', url], {UMMAH_RELAY_TOKEN: token.token})).code).toBe(3)
    expect((await cli(['relay', 'channels', 'list', '--relay', url], {UMMAH_RELAY_TOKEN: 'urt_wrong-token-000'})).code).toBe(3)
    const away = await cli(['relay', 'channels', 'list', '--relay', 'http://127.0.0.1:9'], env)
    expect(away.code).toBe(7)
    expect(away.stderr).toMatch(/Cannot reach the relay at http:\/\/127\.0\.0\.1:9/)
    // Without --yes off a terminal: exit 2, the token still works (revoked below with --yes).
    const unconfirmed = await cli(['relay', 'channels', 'tokens', 'revoke', 'cli-team', token.id, '--relay', url], env)
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.stderr).toContain(`Revoke token ${token.id} of channel cli-team (its streams close, its listeners stop): confirmation needed`)
    const still = JSON.parse((await cli(['relay', 'channels', 'list', '--relay', url, '--json'], env)).stdout)
    expect(still.find((each: {name: string}) => each.name === 'cli-team').tokens).toBe(`${channel.token_id}, ${token.id}`)
    expect((await cli(['relay', 'channels', 'tokens', 'revoke', 'cli-team', token.id, '--relay', url, '--json', '--yes'], env)).code).toBe(0)
    expect((await cli(['relay', 'channels', 'tokens', 'revoke', 'cli-team', token.id, '--relay', url, '--yes'], env)).code).toBe(4)
    expect((await cli(['relay', 'channels', 'delete', 'cli-team', '--relay', url], env)).code).toBe(2)
    expect((await cli(['relay', 'channels', 'delete', 'cli-team', '--relay', url, '--yes'], env)).code).toBe(0)
    expect((await fetch(channel.ingress_url, {method: 'POST', body: '{}'})).status).toBe(404)
  })

  it('webhooks listen --relay: usage errors exit 2 before anything is sent; a refused token exits 3; no relay exits 7', async () => {
    const base = ['webhooks', 'listen', '--forward', ':3000']
    const cases: Array<[string[], Record<string, string | undefined>, number, RegExp]> = [
      [['--channel', 'team'], {}, 2, /--channel needs --relay/],
      [['--relay', url, '--public-url', 'https://x.example.com/'], {UMMAH_RELAY_TOKEN: ADMIN_TOKEN}, 2, /--relay and --public-url/],
      [['--relay', url], {UMMAH_RELAY_TOKEN: undefined}, 2, /--relay needs a token/],
      [['--relay', 'ftp://relay'], {UMMAH_RELAY_TOKEN: ADMIN_TOKEN}, 2, /is not an http\(s\) URL/],
      [['--relay', url, '--channel', 'Team!'], {UMMAH_RELAY_TOKEN: ADMIN_TOKEN}, 2, /is not a channel name/],
      [['--relay', url, '--channel', 'nope'], {UMMAH_RELAY_TOKEN: 'urt_wrong-token-000'}, 3, /refused/],
      [['--relay', 'http://127.0.0.1:9'], {UMMAH_RELAY_TOKEN: ADMIN_TOKEN}, 7, /Cannot reach the relay/],
    ]
    for (const [args, env, code, message] of cases) {
      const result = await cli([...base, ...args], {UMMAH_CONFIG_DIR: tempConfigDir(), ...env})
      expect(result.code, args.join(' ')).toBe(code)
      expect(result.stderr).toMatch(message)
      expect(result.stdout + result.stderr).not.toContain(ADMIN_TOKEN)
    }
    // The profile's relay_url and relay_token are the defaults: with them set, a plain listen goes through the relay.
    const configDir = tempConfigDir()
    expect((await cli(['config', 'set', 'relay_url', 'http://127.0.0.1:9'], {UMMAH_CONFIG_DIR: configDir})).code).toBe(0)
    expect((await cli(['config', 'set', 'relay_token', ADMIN_TOKEN], {UMMAH_CONFIG_DIR: configDir})).code).toBe(0)
    const viaProfile = await cli(base, {UMMAH_CONFIG_DIR: configDir})
    expect(viaProfile.code).toBe(7)
    expect(viaProfile.stderr).toMatch(/Cannot reach the relay at http:\/\/127\.0\.0\.1:9/)
    expect(viaProfile.stdout + viaProfile.stderr).not.toContain(ADMIN_TOKEN)
  })
})

describe('listen --relay while the relay is away', {timeout: 60_000}, () => {
  it('says so on one line per attempt, backs off 1, 2, 4, 8 s, and still stops at once on SIGTERM', async () => {
    const sandbox = await startSandbox({port: 0, statementDelayMs: 0})
    const away = new RelayProcess(['--port', '0', '--data-dir', tempDir('ummah-relay-')])
    const awayUrl = await away.ready()
    const listener = new Listener(['--forward', '127.0.0.1:9/', '--relay', awayUrl, '--relay-token', ADMIN_TOKEN], {
      UMMAH_CONFIG_DIR: tempConfigDir(),
      UMMAH_SECRET_KEY: 'sk_test_relay_away',
      UMMAH_API_BASE: sandbox.apiBase,
    })
    await listener.ready()
    await away.stop('SIGKILL')
    const waits = () => listener.lines.filter((line) => line.type === 'relay' && line.state === 'disconnected').map((line) => line.retry_in_s)
    await until(() => waits().length >= 4, 'four reconnect attempts', 20_000)
    expect(waits().slice(0, 4)).toEqual([1, 2, 4, 8])
    // In the middle of the 8 s backoff: the listener stops within its 5 s grace, not after the wait.
    const stopping = Date.now()
    expect(await listener.stop()).toBe(0)
    expect(Date.now() - stopping).toBeLessThan(5000)
    await sandbox.close()
  })
})

describe('relay ingress on a full disk', {timeout: 60_000}, () => {
  it('answers 503 while it cannot store, never 200 for what it did not store, and stores again once there is room', async () => {
    const mount = tempDir('ummah-tmpfs-')
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', mount])
    const full = new RelayProcess(['--port', '0', '--data-dir', join(mount, 'relay')])
    try {
      const fullUrl = await full.ready()
      const created = await fetch(`${fullUrl}/v1/channels`, {
        method: 'POST',
        headers: {authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json'},
        body: '{"name":"disk"}',
      })
      const {ingress_url: ingress} = (await created.json()) as {ingress_url: string}
      // Everything but ~40 kB taken by another file.
      const filler = join(mount, 'filler')
      const {bavail, bsize} = statfsSync(mount)
      writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 40 * 1024)))
      const answers: Array<{id: number; status: number}> = []
      const body = (id: number) => JSON.stringify({id: `evt_${id}`, pad: 'x'.repeat(3000)})
      for (let id = 0; id < 40; id++) answers.push({id, status: (await fetch(ingress, {method: 'POST', body: body(id)})).status})
      const statuses = new Set(answers.map((answer) => answer.status))
      expect(statuses).toEqual(new Set([200, 503]))
      rmSync(filler)
      for (let id = 40; id < 45; id++) answers.push({id, status: (await fetch(ingress, {method: 'POST', body: body(id)})).status})
      expect(answers.slice(40).map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200])

      // The stream holds exactly the entries answered 200, in order, whole.
      const stored: string[] = []
      let waiting: number | undefined
      const socket = new WebSocket(`${fullUrl.replace('http', 'ws')}/v1/channels/disk/stream?after=0`, {
        headers: {authorization: `Bearer ${ADMIN_TOKEN}`},
      })
      socket.on('message', (data, binary) => {
        // The hello counts what the channel holds: exactly what was answered 200.
        if (!binary) return void (waiting = (JSON.parse(data.toString()) as {waiting: number}).waiting)
        const entry = decodeEntry(data as Buffer)
        stored.push((JSON.parse(entry.body.toString()) as {id: string}).id)
        socket.send(JSON.stringify({type: 'ack', cursor: entry.cursor}))
      })
      const accepted = answers.filter((answer) => answer.status === 200).map((answer) => `evt_${answer.id}`)
      await until(() => stored.length >= accepted.length, 'the stored entries', 10_000)
      expect(waiting).toBe(accepted.length)
      expect(stored).toEqual(accepted)
      socket.close()
    } finally {
      await full.stop()
      execFileSync('umount', ['-l', mount])
    }
  })
})
