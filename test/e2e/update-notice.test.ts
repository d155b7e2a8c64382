/**
 * The update notice against a local registry stub: the registry is asked by
 * a detached process at most once a day (the command never waits for it), the
 * notice comes after the command's output on the next terminal run, at most
 * once a day, and never in CI, piped or with UMMAH_NO_UPDATE_NOTIFIER=1.
 */
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {ServerResponse} from 'node:http'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli, tempDir} from '../helpers/cli.js'
import {onTerminal} from '../helpers/pty.js'
import {type TestServer, json, startServer} from '../helpers/server.js'
import {until} from './listen-harness.js'

const version = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version as string
const NOTICE = `A new release of ummah is available: ${version} → 9.9.9\nTo upgrade: npm install -g ummah@latest`
let registry: TestServer
/** Answers held back until the test lets them go: a command that waited for the registry could not finish. */
const held: ServerResponse[] = []
let holding = false
beforeAll(async () => {
  registry = await startServer((request, response) => {
    if (request.url !== '/ummah/latest') return json(response, 404, {})
    if (holding) return void held.push(response)
    json(response, 200, {name: 'ummah', version: '9.9.9'})
  })
})
afterAll(() => registry.close())

const release = () => {
  holding = false
  for (const response of held.splice(0)) json(response, 200, {name: 'ummah', version: '9.9.9'})
}

describe('the update notice', {timeout: 60_000}, () => {
  it('asked in the background once a day, shown after the output on the next run, once a day', async () => {
    const dir = tempDir('ummah-update-')
    const env = {UMMAH_CONFIG_DIR: dir, UMMAH_NO_UPDATE_NOTIFIER: undefined, npm_config_registry: `${registry.origin}/`, PTY_COLUMNS: '100'}
    const file = join(dir, 'update-check.json')
    const asked = () => registry.requests.filter((request) => request.url === '/ummah/latest').length

    // First run: nothing known yet, so nothing shown; the check starts and the command does not wait for its answer.
    holding = true
    const first = await onTerminal(['profiles', 'list'], [], env)
    expect(first.code).toBe(0)
    expect(first.output).not.toContain('new release')
    await until(() => asked() === 1 && held.length === 1, 'the registry asked once, its answer still held')
    release()
    await until(() => existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).latest === '9.9.9', 'the answer recorded')

    // Next run: the notice after the command's own output, on stderr; no second check the same day.
    const second = await onTerminal(['profiles', 'list'], [], env)
    expect(second.code).toBe(0)
    const output = second.output.replaceAll('\r\n', '\n')
    expect(output.indexOf('sandbox')).toBeLessThan(output.indexOf('A new release'))
    expect(output.trimEnd().endsWith(NOTICE)).toBe(true)
    const third = await onTerminal(['profiles', 'list'], [], env)
    expect(third.output).not.toContain('new release')
    expect(asked()).toBe(1)

    // A day later (the state says so): asked again, and shown again.
    const state = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, JSON.stringify({...state, checked_at: state.checked_at - 86_400_001, notified_at: state.notified_at - 86_400_001}))
    const later = await onTerminal(['profiles', 'list'], [], env)
    expect(later.output.replaceAll('\r\n', '\n').trimEnd().endsWith(NOTICE)).toBe(true)
    await until(() => asked() === 2, 'asked again after a day')
  })

  it('never in CI, piped, or with UMMAH_NO_UPDATE_NOTIFIER=1: no notice and no question to the registry', async () => {
    const dir = tempDir('ummah-update-')
    // A newer version already known and never shown: any run allowed to would show it.
    writeFileSync(join(dir, 'update-check.json'), JSON.stringify({latest: '9.9.9', checked_at: 0}))
    const before = registry.requests.length
    const env = {UMMAH_CONFIG_DIR: dir, npm_config_registry: `${registry.origin}/`}
    for (const extra of [{CI: 'true', UMMAH_NO_UPDATE_NOTIFIER: undefined}, {UMMAH_NO_UPDATE_NOTIFIER: '1'}]) {
      const shown = await onTerminal(['profiles', 'list'], [], {...env, ...extra})
      expect(shown.code).toBe(0)
      expect(shown.output, JSON.stringify(extra)).not.toContain('new release')
    }
    const piped = await runCli(['profiles', 'list'], {env})
    expect(piped.stdout + piped.stderr).not.toContain('new release')
    expect(registry.requests.length).toBe(before)
    expect(JSON.parse(readFileSync(join(dir, 'update-check.json'), 'utf8'))).toEqual({latest: '9.9.9', checked_at: 0})
  })
})
