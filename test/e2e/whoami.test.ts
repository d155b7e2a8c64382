/** `ummah whoami` (alias `auth status`): what is in use, masked, and whether the key works, with one request. */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {type TestServer, json, startServer} from '../helpers/server.js'
import {sandboxCli} from './helpers.js'

let refusing: TestServer
beforeAll(async () => {
  refusing = await startServer((_request, response) =>
    json(response, 401, {error: 'invalid_api_key', message: 'The API key is missing, malformed, or revoked.'}),
  )
})
afterAll(() => refusing.close())

describe('whoami', {timeout: 60_000}, () => {
  it('against the sandbox: the key works, shown masked, with where it came from', async () => {
    const ummah = sandboxCli()
    const shown = await ummah.json(['whoami'])
    expect(shown).toEqual({
      profile: 'default',
      mode: 'test',
      api_key: `sk_test_…${ummah.key.slice(-4)}`,
      key_source: 'env',
      key_storage: 'none',
      api_base: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/),
      key_works: true,
    })
    const text = await ummah(['auth', 'status'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^key_works\s+true$/m)
    expect(text.stdout + text.stderr).not.toContain(ummah.key)
  })

  it('against a gateway that refuses the key: exit 3, key_works false, one request', async () => {
    const key = 'sk_test_refused0000000000000'
    const result = await runCli(['whoami', '--json', '--api-key', key, '--api-base', refusing.apiBase])
    expect(result.code).toBe(3)
    expect(JSON.parse(result.stdout)).toMatchObject({
      mode: 'test',
      api_key: 'sk_test_…0000',
      key_source: 'flag',
      key_works: false,
      error: expect.stringContaining('401'),
    })
    expect(refusing.requests.map((request) => `${request.method} ${request.url}`)).toEqual(['GET /api/v1/balance/'])
  })

  it('with the gateway unreachable: the profile is still shown, key_works unknown, exit 7', async () => {
    const key = 'sk_test_unreachable000000000'
    const result = await runCli(['whoami', '--json', '--api-key', key, '--api-base', 'http://127.0.0.1:9/api/v1', '--max-retries', '0'])
    expect(result.code).toBe(7)
    expect(JSON.parse(result.stdout)).toMatchObject({
      profile: 'default',
      mode: 'test',
      api_key: 'sk_test_…0000',
      key_source: 'flag',
      api_base: 'http://127.0.0.1:9/api/v1',
      key_works: null,
      error: expect.stringMatching(/ECONNREFUSED|refused/),
    })
    const text = await runCli(['whoami', '--api-key', key, '--api-base', 'http://127.0.0.1:9/api/v1', '--max-retries', '0'], {
      env: {UMMAH_FORCE_TTY: '1', NO_COLOR: '1'},
    })
    expect(text.code).toBe(7)
    expect(text.stdout).toMatch(/profile\s+default/)
    expect(text.stdout).toMatch(/api_key\s+sk_test_…0000/)
  })

  it('without any key: exit 3 with how to get one, nothing sent', async () => {
    refusing.requests.length = 0
    const result = await runCli(['whoami', '--api-base', refusing.apiBase])
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^Error: No API key for profile "default"\. Run `ummah login`/)
    expect(refusing.requests).toEqual([])
  })
})
