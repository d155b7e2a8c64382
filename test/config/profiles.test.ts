import {chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {runCli, tempConfigDir} from '../helpers/cli.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

const PROFILE_KEY = 'sk_test_profileKEY0000000001'
const ENV_KEY = 'sk_test_envKEY00000000000002'
const FLAG_KEY = 'sk_test_flagKEY0000000000003'
const LIVE_KEY = 'sk_live_fake_key_000000000004'

let server: TestServer
let configDir: string

beforeEach(async () => {
  server = await startServer((request, response) =>
    request.headers.authorization === 'Bearer sk_test_revoked000000000000'
      ? json(response, 401, {error: 'invalid_api_key', message: 'The API key is missing, malformed, or revoked.'})
      : json(response, 200, {balance: [{currency: 'USD', amount: 2999}]}),
  )
  configDir = tempConfigDir()
})

afterEach(() => server.close())

const cli = (args: string[], env: Record<string, string> = {}, input?: string) => runCli(args, {env: {UMMAH_CONFIG_DIR: configDir, ...env}, input})

async function login(key = PROFILE_KEY, extra: string[] = []) {
  const result = await cli(['login', '--api-key', '-', '--api-base', server.apiBase, ...extra], {}, key)
  expect(result.stderr).toContain('Saved the')
  expect(result.code).toBe(0)
  return result
}

const lastAuth = () => server.requests.at(-1)?.headers.authorization

describe('login and the config file', () => {
  it('saves a verified key read from stdin into a 0600 file in a 0700 directory under UMMAH_CONFIG_DIR', async () => {
    const result = await login()
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual(['GET /api/v1/balance/'])
    expect(lastAuth()).toBe(`Bearer ${PROFILE_KEY}`)

    const file = join(configDir, 'config.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      active_profile: 'default',
      profiles: {default: {api_key: PROFILE_KEY, api_base: server.apiBase}},
    })
    // What is printed never holds the whole key.
    expect(result.stdout + result.stderr).not.toContain(PROFILE_KEY)
    expect(result.stderr).toContain('sk_test_…0001')
  })

  it('refuses a key the gateway rejects, exit 3, and saves nothing', async () => {
    const result = await cli(['login', '--api-key', 'sk_test_revoked000000000000', '--api-base', server.apiBase])
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^Error: Authentication failed \(401\)/)
    const list = await cli(['profiles', 'list', '--json'])
    expect(JSON.parse(list.stdout).map((profile: {name: string}) => profile.name)).toEqual(['sandbox'])
  })

  it('without a terminal and without --api-key, exits 2 instead of waiting', async () => {
    const result = await cli(['login'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--api-key/)
  })

  it('lists profiles with mode and masked key, and switches the active one', async () => {
    await login()
    // No keychain in this test (runCli's bus points nowhere): the live key is written to the file on purpose.
    await login(LIVE_KEY, ['--profile', 'live', '--no-verify', '--insecure-storage'])
    const list = await cli(['profiles', 'list', '--json'])
    const profiles = JSON.parse(list.stdout)
    expect(profiles).toEqual([
      {name: 'default', active: true, mode: 'test', api_key: 'sk_test_…0001', key_storage: 'file', api_base: server.apiBase},
      {name: 'live', active: false, mode: 'live', api_key: 'sk_live_…0004', key_storage: 'file', api_base: server.apiBase},
      {
        name: 'sandbox',
        active: false,
        mode: 'test',
        api_key: 'sk_test_…ox',
        key_storage: 'file',
        api_base: 'http://127.0.0.1:8420/api/v1',
        brand_id: '409eb80e-3782-4b1d-afa8-b779759266a5',
      },
    ])
    expect(list.stdout).not.toContain(LIVE_KEY)

    expect((await cli(['profiles', 'use', 'live'])).code).toBe(0)
    expect((await cli(['config', 'get', 'api_key'])).stdout.trim()).toBe('sk_live_…0004')
    expect((await cli(['profiles', 'use', 'nope'])).code).toBe(2)
  })

  it('sets, reads and unsets settings, and rejects bad values', async () => {
    await login()
    expect((await cli(['config', 'set', 'brand_id', '409eb80e-3782-4b1d-afa8-b779759266a5'])).code).toBe(0)
    expect((await cli(['config', 'get', 'brand_id'])).stdout.trim()).toBe('409eb80e-3782-4b1d-afa8-b779759266a5')
    const bad = await cli(['config', 'set', 'brand_id', 'nope'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/not a UUID/)
    expect((await cli(['config', 'set', 'colour', 'never'])).code).toBe(2)
    expect((await cli(['config', 'unset', 'brand_id'])).code).toBe(0)
    // The relay settings: a URL checked, a token masked wherever it is shown.
    expect((await cli(['config', 'set', 'relay_url', 'ftp://relay'])).code).toBe(2)
    expect((await cli(['config', 'set', 'relay_url', 'https://relay.example.com'])).code).toBe(0)
    expect((await cli(['config', 'set', 'relay_token', 'urt_abcdefghijklmnopqrstuvwxyz0123'])).code).toBe(0)
    expect((await cli(['config', 'get', 'relay_token'])).stdout.trim()).toBe('urt…0123')
    expect(JSON.parse((await cli(['config', 'list', '--json'])).stdout)).toEqual({
      profile: 'default',
      api_key: 'sk_test_…0001',
      api_base: server.apiBase,
      brand_id: null,
      color: null,
      relay_url: 'https://relay.example.com',
      relay_token: 'urt…0123',
    })
  })

  it('removes a profile only with --yes when there is no terminal', async () => {
    await login(PROFILE_KEY, ['--profile', 'ci'])
    const refused = await cli(['profiles', 'remove', 'ci'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/--yes/)
    expect((await cli(['profiles', 'remove', 'ci', '--yes'])).code).toBe(0)
    expect((await cli(['profiles', 'show', 'ci'])).code).toBe(2)
  })
})

describe('key precedence: --api-key, then UMMAH_SECRET_KEY, then the profile', () => {
  it('uses each source in turn', async () => {
    await login()
    const call = (args: string[], env: Record<string, string> = {}) => cli(['api', 'GET', '/balance/', ...args], env)

    expect((await call([])).code).toBe(0)
    expect(lastAuth()).toBe(`Bearer ${PROFILE_KEY}`)

    expect((await call([], {UMMAH_SECRET_KEY: ENV_KEY})).code).toBe(0)
    expect(lastAuth()).toBe(`Bearer ${ENV_KEY}`)

    expect((await call(['--api-key', FLAG_KEY], {UMMAH_SECRET_KEY: ENV_KEY})).code).toBe(0)
    expect(lastAuth()).toBe(`Bearer ${FLAG_KEY}`)
  })

  it('takes the profile from --profile, then UMMAH_PROFILE, and the base from UMMAH_API_BASE over the profile', async () => {
    await login(PROFILE_KEY)
    await login(ENV_KEY, ['--profile', 'other'])
    await cli(['api', 'GET', '/balance/'], {UMMAH_PROFILE: 'other'})
    expect(lastAuth()).toBe(`Bearer ${ENV_KEY}`)
    await cli(['api', 'GET', '/balance/', '--profile', 'default'], {UMMAH_PROFILE: 'other'})
    expect(lastAuth()).toBe(`Bearer ${PROFILE_KEY}`)

    const elsewhere = await startServer((_request, response) => json(response, 200, {}))
    await cli(['api', 'GET', '/balance/'], {UMMAH_API_BASE: elsewhere.apiBase})
    expect(elsewhere.requests).toHaveLength(1)
    await elsewhere.close()

    const unknown = await cli(['api', 'GET', '/balance/'], {UMMAH_PROFILE: 'ghost'})
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/Profile "ghost" does not exist/)
  })

  it('names a damaged config file and the fix, exit 2, sending nothing, and leaves the file for the user', async () => {
    mkdirSync(configDir, {recursive: true})
    writeFileSync(join(configDir, 'config.json'), '{"profiles": {')
    for (const args of [
      ['api', 'GET', '/balance/'],
      ['profiles', 'list'],
    ]) {
      const result = await cli(args, {UMMAH_API_BASE: server.apiBase})
      expect(result.code).toBe(2)
      expect(result.stderr).toBe(`Error: ${join(configDir, 'config.json')} is not valid JSON. Fix it, or delete it and run \`ummah login\` again.\n`)
    }
    expect(server.requests).toHaveLength(0)
    expect(readFileSync(join(configDir, 'config.json'), 'utf8')).toBe('{"profiles": {')
  })

  it('exits 3 with a hint when there is no key at all', async () => {
    const result = await cli(['api', 'GET', '/balance/', '--api-base', server.apiBase])
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/No API key.*ummah login/)
    expect(server.requests).toHaveLength(0)
  })
})

describe('secrets and the live guard', () => {
  it('masks the key in --debug output', async () => {
    const result = await cli(['api', 'GET', '/balance/', '--debug', '--api-base', server.apiBase], {UMMAH_SECRET_KEY: FLAG_KEY})
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('authorization: Bearer sk_test_…0003')
    expect(result.stderr).toMatch(/\[http\] < 200 in \d+ ms/)
    expect(result.stderr + result.stdout).not.toContain(FLAG_KEY)
  })

  it('refuses a change with a live key without a terminal, sending nothing; --live lets it through', async () => {
    const env = {UMMAH_SECRET_KEY: LIVE_KEY, UMMAH_API_BASE: server.apiBase}
    const refused = await cli(['api', 'POST', '/purchases/', '-d', '{}'], env)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/^Error: Refusing to send POST \/purchases\/ with the live key sk_live_…0004.*--live/)
    expect(refused.stderr).not.toContain(LIVE_KEY)
    expect(server.requests).toHaveLength(0)

    expect((await cli(['api', 'GET', '/balance/'], env)).code).toBe(0)
    expect((await cli(['api', 'POST', '/purchases/', '-d', '{}', '--live'], env)).code).toBe(0)
    expect(server.requests.map((request) => request.method)).toEqual(['GET', 'POST'])
  })
})

describe('concurrent writers and the built-in profile', {timeout: 120_000}, () => {
  it('20 parallel logins to 20 profiles keep all 20; the file is valid JSON, 0600, in a 0700 directory', async () => {
    // The directory exists with loose modes: it is made private anyway.
    mkdirSync(configDir, {recursive: true, mode: 0o755})
    chmodSync(configDir, 0o755)
    const names = Array.from({length: 20}, (_, index) => `p${index}`)
    // With verification: each reads the file, waits for the gateway, then writes (the window where a profile was lost).
    const results = await Promise.all(
      names.map((name, index) =>
        cli(['login', '--profile', name, '--api-key', `sk_test_parallel${String(index).padStart(12, '0')}`, '--api-base', server.apiBase]),
      ),
    )
    for (const result of results) expect(result.code, result.stderr).toBe(0)
    const file = join(configDir, 'config.json')
    const stored = JSON.parse(readFileSync(file, 'utf8')) as {active_profile: string; profiles: Record<string, {api_key: string}>}
    expect(Object.keys(stored.profiles).sort()).toEqual([...names].sort())
    for (const [index, name] of names.entries()) expect(stored.profiles[name].api_key).toBe(`sk_test_parallel${String(index).padStart(12, '0')}`)
    expect(names).toContain(stored.active_profile)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(configDir).mode & 0o777).toBe(0o700)
    expect(readdirSync(configDir)).toEqual(['config.json'])
  })

  it('login never overwrites the built-in sandbox profile', async () => {
    expect((await cli(['profiles', 'use', 'sandbox'])).code).toBe(0)
    const named = await cli(['login', '--profile', 'sandbox', '--api-key', PROFILE_KEY, '--no-verify'])
    expect(named.code).toBe(2)
    expect(named.stderr).toMatch(
      /^Error: "sandbox" is the built-in profile of `ummah sandbox start`\. Save your key to another profile: `ummah login --profile NAME`\.\n$/,
    )

    const active = await cli(['login', '--api-key', PROFILE_KEY, '--no-verify'])
    expect(active.code, active.stderr).toBe(0)
    expect(active.stderr).toContain('to profile "default"')
    expect(active.stderr).toContain('The active profile is still "sandbox": switch with `ummah profiles use default`.')
    const stored = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'))
    expect(stored.profiles.default.api_key).toBe(PROFILE_KEY)
    expect(stored.profiles.sandbox).toBeUndefined()
    const shown = JSON.parse((await cli(['profiles', 'show', 'sandbox', '--json'])).stdout)
    expect(shown).toMatchObject({name: 'sandbox', api_key: 'sk_test_…ox', api_base: 'http://127.0.0.1:8420/api/v1'})
  })
})
