/**
 * Every destructive command, off a terminal and without --yes: exit 2 naming
 * the confirmation it needs, and nothing changes (the recording gateway sees
 * no request; local state stays). With --yes it goes ahead.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {endpoints} from '../../src/api/endpoints.js'
import {pathParams} from '../../src/api/paths.js'
import {tempConfigDir} from '../helpers/cli.js'
import {runInProcess} from '../helpers/in-process.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

const ID = '3f2a5c1e-1111-4222-8333-944445555666'
let gateway: TestServer

beforeAll(async () => {
  gateway = await startServer((_request, response) => json(response, 200, {}))
})
afterAll(() => gateway.close())

describe('destructive commands without --yes off a terminal', () => {
  const destructive = endpoints.filter((target) => target.destructive)

  // Which verbs are destructive is held by test/cli/commands-contract.test.ts; each of them is tried here.
  for (const target of destructive) {
    it(`${target.command}: exit 2, nothing sent`, async () => {
      const args = [...target.command.split(' '), ...pathParams(target).map(() => ID)]
      const env = {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: 'sk_test_destructive', UMMAH_API_BASE: gateway.apiBase, CI: ''}
      const before = gateway.requests.length
      const result = await runInProcess(args, {env})
      expect(result.code, result.stderr).toBe(2)
      expect(result.stderr).toMatch(/: confirmation needed and there is no terminal to ask\. Pass --yes to confirm\.\n$/)
      expect(gateway.requests.length).toBe(before)
      const confirmed = await runInProcess([...args, '--yes'], {env})
      expect(confirmed.code, confirmed.stderr).toBe(0)
      expect(gateway.requests.length).toBeGreaterThan(before)
    })
  }

  it('logout --all and config unset api_key: exit 2, the keys stay; CI=true says --yes', async () => {
    const dir = tempConfigDir()
    const env = {UMMAH_CONFIG_DIR: dir, UMMAH_SECRET_KEY: '', CI: ''}
    for (const profile of ['one', 'two'])
      expect((await runInProcess(['login', '-p', profile, '--api-key', `sk_test_${profile}_000000`, '--no-verify'], {env})).code).toBe(0)
    const saved = readFileSync(join(dir, 'config.json'), 'utf8')
    const all = await runInProcess(['logout', '--all'], {env})
    expect([all.code, all.stderr]).toEqual([
      2,
      'Error: Remove the saved keys of 2 profiles (one, two): confirmation needed and there is no terminal to ask. Pass --yes to confirm.\n',
    ])
    const unset = await runInProcess(['config', 'unset', 'api_key', '-p', 'one'], {env: {...env, CI: 'true'}})
    expect([unset.code, unset.stderr]).toEqual([
      2,
      'Error: Remove the saved key of profile "one": confirmation needed and CI=true, so nothing is asked. CI=true: pass --yes to confirm.\n',
    ])
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(saved)
    expect((await runInProcess(['logout', '--all', '--yes'], {env})).code).toBe(0)
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).profiles.one.api_key).toBeUndefined()
  })
})
