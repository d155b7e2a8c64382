/**
 * Live keys in the OS keychain: a real Secret Service (gnome-keyring on a
 * private D-Bus session, helpers/secret-service.ts) and the real binary
 * against a recording server. Without a Secret Service (the bus address
 * pointing nowhere) a live key is refused unless --insecure-storage.
 */
import {mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {NO_BUS, runCli, tempConfigDir} from '../helpers/cli.js'
import {type SecretService, startSecretService} from '../helpers/secret-service.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

// Fake live keys, shaped so no secret scanner takes them for real ones ("fake_" right after the prefix).
const LIVE_KEY = 'sk_live_fake_keychain_000000001'
const OTHER_LIVE_KEY = 'sk_live_fake_keychain_000000002'
const TEST_KEY = 'sk_test_keychainKEY000000000003'
const REVOKED_KEY = 'sk_live_fake_revoked_0000000004'
const PURCHASE = 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e'

let secrets: SecretService
let server: TestServer
let configDir: string
beforeAll(async () => {
  ;[secrets, server] = await Promise.all([
    startSecretService(),
    startServer((request, response) => {
      if (request.url.startsWith('/v1/channels')) return json(response, 200, {data: []})
      if (request.headers.authorization === `Bearer ${REVOKED_KEY}`)
        return json(response, 401, {error: 'invalid_api_key', message: 'The API key is missing, malformed, or revoked.'})
      return request.url.startsWith('/api/v1/balance/')
        ? json(response, 200, {balance: []})
        : json(response, 200, {id: PURCHASE, status: 'cancelled'})
    }),
  ])
})
afterAll(async () => {
  await secrets.stop()
  await server.close()
})
beforeEach(() => {
  configDir = tempConfigDir()
})

const cli = (args: string[], env: Record<string, string> = secrets.env, input?: string) =>
  runCli(args, {env: {UMMAH_CONFIG_DIR: configDir, ...env}, input})
const noKeychain = {DBUS_SESSION_BUS_ADDRESS: NO_BUS}

/** Every file under the config directory (the file, its lock, anything else), with its text. */
function filesUnder(dir: string): Array<{path: string; text: string}> {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name)
      return {path, text: readFileSync(path, 'utf8')}
    })
}

const config = () => JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'))
/** The keychain's ummah items made by this test's config directory's profiles. */
const itemsOf = async (profile: string) => [...(await secrets.items('ummah'))].filter(([account]) => account.startsWith(`${profile}:`))

describe('live keys in the OS keychain', {timeout: 60_000}, () => {
  it('login puts a live key in the keychain and no sk_live_ in any file; a live command reads it back; logout removes it', async () => {
    const login = await cli(['login', '--profile', 'live', '--api-key', '-', '--api-base', server.apiBase], secrets.env, LIVE_KEY)
    expect(login.stderr).toBe('Saved the live key sk_live_…0001 to profile "live" in the OS keychain (verified).\n')
    expect(login.code).toBe(0)
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${LIVE_KEY}`)

    const files = filesUnder(configDir)
    expect(files.map((file) => file.path)).toContain(join(configDir, 'config.json'))
    for (const file of files) expect(file.text, file.path).not.toContain('sk_live_fake')
    const entry = config().profiles.live.api_key_keychain
    expect(entry).toEqual({account: expect.stringMatching(/^live:[0-9a-f-]{36}$/), masked: 'sk_live_…0001'})
    expect(config().profiles.live.api_key).toBeUndefined()
    expect(await itemsOf('live')).toEqual([[entry.account, LIVE_KEY]])

    // A live command: the key comes from the keychain; --live confirms the change.
    const cancel = await cli(['purchases', 'cancel', PURCHASE, '--profile', 'live', '--live', '--yes', '--json'])
    expect(cancel.code).toBe(0)
    expect(server.requests.at(-1)).toMatchObject({method: 'POST', url: `/api/v1/purchases/${PURCHASE}/cancel/`})
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${LIVE_KEY}`)
    expect(cancel.stdout + cancel.stderr).not.toContain(LIVE_KEY)

    const who = await cli(['whoami', '--profile', 'live', '--json'])
    expect(JSON.parse(who.stdout)).toMatchObject({
      profile: 'live',
      mode: 'live',
      api_key: 'sk_live_…0001',
      key_source: 'profile',
      key_storage: 'keychain',
      key_works: true,
    })
    const show = await cli(['profiles', 'show', 'live', '--json'])
    expect(JSON.parse(show.stdout)).toMatchObject({name: 'live', mode: 'live', api_key: 'sk_live_…0001', key_storage: 'keychain'})
    // Listing and showing need no keychain: the profile keeps the masked key.
    const listed = await cli(['profiles', 'list', '--json'], noKeychain)
    expect(JSON.parse(listed.stdout)[0]).toMatchObject({name: 'live', mode: 'live', api_key: 'sk_live_…0001', key_storage: 'keychain'})
    expect((await cli(['config', 'get', 'api_key', '--profile', 'live'], noKeychain)).stdout).toBe('sk_live_…0001\n')

    const logout = await cli(['logout', '--profile', 'live'])
    expect(logout.code).toBe(0)
    expect(await itemsOf('live')).toEqual([])
    expect(config().profiles.live).toEqual({api_base: server.apiBase})
  })

  it('a second login to the profile replaces the entry; profiles remove, logout --all and config unset delete theirs', async () => {
    await cli(['login', '--profile', 'live', '--api-key', LIVE_KEY, '--no-verify'])
    const first = config().profiles.live.api_key_keychain.account
    await cli(['login', '--profile', 'live', '--api-key', OTHER_LIVE_KEY, '--no-verify'])
    const second = config().profiles.live.api_key_keychain.account
    expect(second).not.toBe(first)
    expect(await itemsOf('live')).toEqual([[second, OTHER_LIVE_KEY]])
    // A test key saved over a live one: to the file, and the keychain entry goes.
    await cli(['login', '--profile', 'live', '--api-key', TEST_KEY, '--no-verify'])
    expect(config().profiles.live).toEqual({api_key: TEST_KEY})
    expect(await itemsOf('live')).toEqual([])

    expect((await cli(['config', 'set', 'api_key', LIVE_KEY, '--profile', 'cfg'])).code).toBe(0)
    expect(config().profiles.cfg.api_key_keychain.masked).toBe('sk_live_…0001')
    expect((await itemsOf('cfg')).map(([, secret]) => secret)).toEqual([LIVE_KEY])
    // Off a terminal a saved key is removed only with --yes; without it nothing changes.
    expect((await cli(['config', 'unset', 'api_key', '--profile', 'cfg'])).code).toBe(2)
    expect((await itemsOf('cfg')).map(([, secret]) => secret)).toEqual([LIVE_KEY])
    expect((await cli(['config', 'unset', 'api_key', '--profile', 'cfg', '--yes'])).code).toBe(0)
    expect(await itemsOf('cfg')).toEqual([])

    await cli(['login', '--profile', 'gone', '--api-key', LIVE_KEY, '--no-verify'])
    await cli(['login', '--profile', 'all1', '--api-key', LIVE_KEY, '--no-verify'])
    expect(await itemsOf('gone')).toHaveLength(1)
    expect((await cli(['profiles', 'remove', 'gone', '--yes'])).code).toBe(0)
    expect(await itemsOf('gone')).toEqual([])
    expect(config().profiles.gone).toBeUndefined()
    expect((await cli(['logout', '--all'])).code).toBe(2)
    expect(await itemsOf('all1')).toHaveLength(1)
    expect((await cli(['logout', '--all', '--yes'])).code).toBe(0)
    expect(await itemsOf('all1')).toEqual([])
  })

  it('a live key the gateway refuses: exit 3, and the entry written for it is gone again', async () => {
    const result = await cli(['login', '--profile', 'refused', '--api-key', REVOKED_KEY, '--api-base', server.apiBase])
    expect(result.code).toBe(3)
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${REVOKED_KEY}`)
    expect(await itemsOf('refused')).toEqual([])
    expect(() => statSync(join(configDir, 'config.json'))).toThrow(/ENOENT/)
  })

  it('8 logins to one profile at once leave one keychain entry, the one the file names', async () => {
    const keys = Array.from({length: 8}, (_, index) => `sk_live_fake_parallel_${String(index).padStart(14, '0')}`)
    const results = await Promise.all(keys.map((key) => cli(['login', '--profile', 'race', '--api-key', key, '--no-verify'])))
    expect(results.map((result) => result.code)).toEqual(keys.map(() => 0))
    const entry = config().profiles.race.api_key_keychain
    const items = await itemsOf('race')
    expect(items).toHaveLength(1)
    expect(items[0][0]).toBe(entry.account)
    expect(keys).toContain(items[0][1])
    expect(entry.masked).toBe(`sk_live_…${items[0][1].slice(-4)}`)
  })

  it('a keychain key that cannot be read: exit 3 naming the profile and the way out, nothing sent', async () => {
    await cli(['login', '--profile', 'live', '--api-key', LIVE_KEY, '--no-verify'])
    const before = server.requests.length
    const locked = await cli(['purchases', 'retrieve', PURCHASE, '--profile', 'live', '--api-base', server.apiBase], noKeychain)
    expect(locked.code).toBe(3)
    expect(locked.stderr).toMatch(
      /^Error: Cannot read the live key of profile "live" from the keychain \(.+\)\. Unlock or start the OS keychain, or give the key for this run with UMMAH_SECRET_KEY\.\n$/,
    )
    // An entry deleted behind the CLI's back.
    await cli(['logout', '--profile', 'live'])
    writeFileSync(
      join(configDir, 'config.json'),
      JSON.stringify({profiles: {live: {api_key_keychain: {account: 'live:00000000-0000-0000-0000-000000000000', masked: 'sk_live_…0001'}}}}),
    )
    const missing = await cli(['purchases', 'retrieve', PURCHASE, '--profile', 'live', '--api-base', server.apiBase])
    expect(missing.code).toBe(3)
    expect(missing.stderr).toBe(
      'Error: The keychain has no entry for the live key of profile "live" (sk_live_…0001). Save it again: `ummah login --profile live`.\n',
    )
    expect(server.requests.length).toBe(before)
  })
})

describe('without a Secret Service', {timeout: 60_000}, () => {
  it('login of a live key exits 2 with the reason and the ways out, sends nothing and writes nothing', async () => {
    const before = server.requests.length
    const result = await cli(['login', '--profile', 'live', '--api-key', LIVE_KEY, '--api-base', server.apiBase], noKeychain)
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(
      /^Error: No keychain to keep the live key in \(.+\); nothing was saved\. Start or unlock the OS keychain .*UMMAH_SECRET_KEY.*--insecure-storage.*\(mode 0600, plain text\)\.\n$/,
    )
    expect(result.stderr).not.toContain(LIVE_KEY)
    expect(() => statSync(join(configDir, 'config.json'))).toThrow(/ENOENT/)
    expect(server.requests.length).toBe(before)
    // Test keys keep working exactly as before.
    const test = await cli(['login', '--profile', 'ci', '--api-key', TEST_KEY, '--no-verify'], noKeychain)
    expect(test.code).toBe(0)
    expect(config().profiles.ci).toEqual({api_key: TEST_KEY})
  })

  it('with --insecure-storage the live key is written to the 0600 file, and says so', async () => {
    const result = await cli(['login', '--profile', 'live', '--api-key', LIVE_KEY, '--no-verify', '--insecure-storage'], noKeychain)
    expect(result.code).toBe(0)
    expect(result.stderr).toBe(`Saved the live key sk_live_…0001 to profile "live" in ${join(configDir, 'config.json')}.\n`)
    expect(JSON.parse((await cli(['profiles', 'show', 'live', '--json'], noKeychain)).stdout)).toMatchObject({
      name: 'live',
      mode: 'live',
      key_storage: 'file',
    })
    expect(statSync(join(configDir, 'config.json')).mode & 0o777).toBe(0o600)
    expect(config().profiles.live).toEqual({api_key: LIVE_KEY, api_key_insecure: true})
    const who = await cli(['whoami', '--profile', 'live', '--api-base', server.apiBase, '--json'], noKeychain)
    expect(JSON.parse(who.stdout)).toMatchObject({key_storage: 'file', key_works: true})
  })
})

describe('migration of file-stored live keys', {timeout: 60_000}, () => {
  function olderConfig(profiles: Record<string, object>): void {
    mkdirSync(configDir, {recursive: true, mode: 0o700})
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({active_profile: 'live', profiles}), {mode: 0o600})
  }

  it('config migrate-keys moves every live key into the keychain and out of the file; test keys stay; without a keychain it changes nothing', async () => {
    olderConfig({
      live: {api_key: LIVE_KEY, api_base: server.apiBase},
      ci: {api_key: TEST_KEY},
      kept: {api_key: OTHER_LIVE_KEY, api_key_insecure: true},
    })
    const refused = await cli(['config', 'migrate-keys'], noKeychain)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/^Error: No keychain to keep the live key in/)
    expect(config().profiles.live.api_key).toBe(LIVE_KEY)

    const result = await cli(['config', 'migrate-keys', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual([
      {profile: 'kept', api_key: 'sk_live_…0002', key_storage: 'keychain'},
      {profile: 'live', api_key: 'sk_live_…0001', key_storage: 'keychain'},
    ])
    for (const file of filesUnder(configDir)) expect(file.text, file.path).not.toContain('sk_live_fake')
    expect(config().profiles.ci).toEqual({api_key: TEST_KEY})
    expect(config().profiles.live).toEqual({
      api_base: server.apiBase,
      api_key_keychain: {account: expect.stringMatching(/^live:/), masked: 'sk_live_…0001'},
    })
    expect((await itemsOf('live')).map(([, secret]) => secret)).toEqual([LIVE_KEY])

    const cancel = await cli(['purchases', 'cancel', PURCHASE, '--live', '--yes'])
    expect(cancel.code).toBe(0)
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${LIVE_KEY}`)
    expect((await cli(['config', 'migrate-keys'])).stderr).toBe(`No live key in ${join(configDir, 'config.json')}.\n`)
  })

  it("the next login moves an older config's live key, and leaves one written with --insecure-storage", async () => {
    olderConfig({old: {api_key: LIVE_KEY}, kept: {api_key: OTHER_LIVE_KEY, api_key_insecure: true}})
    const login = await cli(['login', '--profile', 'ci', '--api-key', TEST_KEY, '--no-verify'])
    expect(login.code).toBe(0)
    expect(login.stderr).toContain('Moved the live key sk_live_…0001 of profile "old" from the config file to the OS keychain.\n')
    expect(config().profiles.old.api_key).toBeUndefined()
    expect((await itemsOf('old')).map(([, secret]) => secret)).toEqual([LIVE_KEY])
    expect(config().profiles.kept).toEqual({api_key: OTHER_LIVE_KEY, api_key_insecure: true})
  })

  it('relay_token follows live keys into the keychain: set, used, shown masked, unset; without a keychain it stays in the file; migrate-keys moves an older one', async () => {
    const token = 'urt_relaytokenInTheKeychain_000005'
    const set = await cli(['config', 'set', 'relay_token', token, '--profile', 'team'])
    expect(set.code, set.stderr).toBe(0)
    for (const file of filesUnder(configDir)) expect(file.text, file.path).not.toContain(token)
    const entry = config().profiles.team.relay_token_keychain
    expect(entry).toEqual({account: expect.stringMatching(/^team:relay:[0-9a-f-]{36}$/), masked: 'urt…0005'})
    expect(await itemsOf('team')).toEqual([[entry.account, token]])
    expect((await cli(['config', 'get', 'relay_token', '--profile', 'team'])).stdout).toBe('urt…0005\n')
    // Used: the relay's admin API gets it from the keychain.
    const listed = await cli(['relay', 'channels', 'list', '--relay', server.origin, '--profile', 'team', '--json'])
    expect(listed.code, listed.stderr).toBe(0)
    expect(server.requests.at(-1)).toMatchObject({url: '/v1/channels'})
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${token}`)
    expect(listed.stdout + listed.stderr).not.toContain(token)
    expect((await cli(['config', 'unset', 'relay_token', '--profile', 'team', '--yes'])).code).toBe(0)
    expect(await itemsOf('team')).toEqual([])
    expect(config().profiles.team.relay_token_keychain).toBeUndefined()

    // No keychain: kept in the 0600 file, and said so.
    const plain = await cli(['config', 'set', 'relay_token', token, '--profile', 'team'], noKeychain)
    expect(plain.code).toBe(0)
    expect(plain.stderr).toContain('the relay token is kept in')
    expect(config().profiles.team.relay_token).toBe(token)
    // …until a keychain is there: migrate-keys moves it.
    const moved = await cli(['config', 'migrate-keys', '--json'])
    expect(moved.code, moved.stderr).toBe(0)
    expect(JSON.parse(moved.stdout)).toEqual([{profile: 'team', api_key: 'urt…0005', secret: 'relay_token', key_storage: 'keychain'}])
    for (const file of filesUnder(configDir)) expect(file.text, file.path).not.toContain(token)
    expect((await itemsOf('team')).map(([, secret]) => secret)).toEqual([token])
    // A removed profile takes the entry with it.
    expect((await cli(['profiles', 'remove', 'team', '--yes'])).code).toBe(0)
    expect(await itemsOf('team')).toEqual([])
  })
})
