/**
 * No output shows the whole key: a gateway that echoes it back in 400 and 401
 * bodies gets it masked in text, --json and --debug, whatever the key's source
 * (flag, environment, profile, stdin); `ps` of a long-running command shows it
 * masked too.
 */
import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {ROOT, runCli, tempConfigDir, tempDir, track} from '../helpers/cli.js'
import {until} from './listen-harness.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

const KEY = 'sk_test_EchoedBackByTheServer0123456789'
const MASK = 'sk_test_…6789'

let gateway: TestServer
beforeAll(async () => {
  gateway = await startServer((request, response) => {
    const key = String(request.headers.authorization ?? '').replace(/^Bearer /, '')
    if (request.url.includes('/purchases/')) {
      return json(response, 400, {error: 'Bad Request', message: `Rejected for ${key}`, details: {reference: [`${key} is not allowed here`]}})
    }
    json(response, 401, {error: 'invalid_api_key', message: `The key ${key} is revoked.`})
  })
})
afterAll(() => gateway.close())

const PURCHASE = ['purchases', 'refund', 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', '--reference', 'x', '--yes']

describe('the key never appears whole', {timeout: 120_000}, () => {
  it('in text, --json and --debug output, from a flag, the environment, a profile or stdin', async () => {
    const profileDir = tempConfigDir()
    const saved = await runCli(['login', '--api-key', KEY, '--no-verify', '--api-base', gateway.apiBase], {env: {UMMAH_CONFIG_DIR: profileDir}})
    expect(saved.code, saved.stderr).toBe(0)
    const sources: Array<[string, string[], {env?: Record<string, string>; input?: string}]> = [
      ['flag', ['--api-key', KEY], {}],
      ['flag=', [`--api-key=${KEY}`], {}],
      ['env', [], {env: {UMMAH_SECRET_KEY: KEY}}],
      ['profile', [], {env: {UMMAH_CONFIG_DIR: profileDir}}],
      ['stdin', ['--api-key', '-'], {input: `${KEY}\n`}],
    ]
    const seen: string[] = []
    for (const [source, keyArgs, options] of sources) {
      for (const command of [['balance'], PURCHASE]) {
        for (const mode of [[], ['--json'], ['--debug']]) {
          const result = await runCli([...command, ...keyArgs, ...mode, '--api-base', gateway.apiBase, '--max-retries', '0'], options)
          const output = result.stdout + result.stderr
          expect(result.code, `${source} ${command[0]} ${mode}: ${output}`).toBe(command[0] === 'balance' ? 3 : 2)
          expect(output, `${source} ${command[0]} ${mode}`).not.toContain(KEY)
          expect(output, `${source} ${command[0]} ${mode}`).toContain(MASK)
          seen.push(output)
        }
      }
    }
    // The echoed message itself came through, masked: the test would see a leak.
    expect(seen.some((output) => output.includes(`The key ${MASK} is revoked`))).toBe(true)
    expect(seen.some((output) => output.includes(`${MASK} is not allowed here`))).toBe(true)
    expect(gateway.requests.filter((request) => request.headers.authorization === `Bearer ${KEY}`).length).toBe(seen.length)
  })

  it('--api-key - reads the key from stdin on any command, not just login', async () => {
    gateway.requests.length = 0
    await runCli(['balance', '--api-key', '-', '--api-base', gateway.apiBase, '--max-retries', '0'], {input: KEY})
    expect(gateway.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${KEY}`])
    const empty = await runCli(['balance', '--api-key', '-', '--api-base', gateway.apiBase], {input: ''})
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/^Error: --api-key -: stdin was empty\./)
  })

  it('ps shows a long-running command with the key masked', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'sandbox', 'start', '--port', '0', '--ephemeral', '--api-key', KEY], {
      env: {...process.env, UMMAH_CONFIG_DIR: tempConfigDir()},
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    await until(() => stdout.includes('Ready'), 'the sandbox to be ready', 20_000)
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
    child.kill('SIGTERM')
    expect(cmdline).not.toContain(KEY)
    expect(cmdline).toContain(`--api-key ${MASK}`)
    expect(cmdline).toMatch(/^ummah sandbox start/)
  })

  it('ps shows no secret flag of any long-running command (listen, relay start), and each reads from @FILE, - or the environment', async () => {
    const dir = tempDir()
    const secrets = {
      '--secret': 'sha1-shared-password-AAAA1111',
      '--password': 'basic-password-BBBB2222',
      '--client-secret': 'oauth-client-secret-CCCC3333',
      '--relay-token': 'relay-client-token-DDDD4444',
    }
    const forwardAuth = 'basic:appuser:forward-password-EEEE5555'
    const listen = track(
      spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'run.js'),
          'webhooks',
          'listen',
          '--forward',
          '3000',
          '--verify-scheme',
          'sha1-password',
          ...Object.entries(secrets).flat(),
          '--forward-auth',
          forwardAuth,
          '--api-key',
          KEY,
        ],
        {
          env: {...process.env, UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_API_BASE: inject('sandboxApiBase')},
        },
      ),
    )
    const relayToken = 'relay-admin-token-FFFF6666'
    const relay = track(
      spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'relay', 'start', '--port', '0', '--data-dir', dir, '--token', relayToken], {
        env: {...process.env, UMMAH_CONFIG_DIR: tempConfigDir()},
      }),
    )
    const said = {listen: '', relay: ''}
    listen.stdout.on('data', (chunk: Buffer) => (said.listen += chunk))
    relay.stdout.on('data', (chunk: Buffer) => (said.relay += chunk))
    await until(() => said.listen.includes('Ready!') && said.relay.includes('Ready.'), 'listen and the relay to be ready')
    const listenLine = readFileSync(`/proc/${listen.pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
    const relayLine = readFileSync(`/proc/${relay.pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
    listen.kill('SIGTERM')
    relay.kill('SIGTERM')
    for (const secret of [...Object.values(secrets), 'forward-password-EEEE5555', KEY]) expect(listenLine).not.toContain(secret)
    expect(listenLine).toContain('--secret … --password … --client-secret … --relay-token … --forward-auth basic:…')
    expect(relayLine).not.toContain(relayToken)
    expect(relayLine).toContain('--token …')

    // The same from a file, stdin and the environment: nothing on the command line at all.
    const file = join(dir, 'token')
    writeFileSync(file, `${relayToken}\n`)
    for (const [args, options] of [
      [['--token', `@${file}`], {}],
      [['--token', '-'], {input: relayToken}],
      [[], {env: {UMMAH_RELAY_TOKEN: relayToken}}],
    ] as Array<[string[], {input?: string; env?: Record<string, string>}]>) {
      const listed = await runCli(['relay', 'channels', 'list', '--relay', 'http://127.0.0.1:1', ...args], options)
      // Unreachable relay (7), not a missing token (2): the token was read.
      expect(listed.code, `${args.join(' ')}: ${listed.stderr}`).toBe(7)
    }
  })

  it('a key in a mistyped command line is masked in the usage error', async () => {
    for (const args of [[`--apikey=${KEY}`], [`--api_key=${KEY}`], [`--api-key= ${KEY}`], [KEY], ['--apikey', KEY]]) {
      const result = await runCli(['balance', ...args, '--api-base', gateway.apiBase, '--max-retries', '0'])
      const output = result.stdout + result.stderr
      expect(result.code, `${args.join(' ')}: ${output}`).not.toBe(0)
      expect(output, args.join(' ')).not.toContain(KEY)
      expect(output, args.join(' ')).not.toContain('EchoedBackByTheServer')
    }
  })

  it("a proxy URL's password is masked in every error, whatever its shape", async () => {
    for (const proxy of [
      'user:pa/ss-Secret-7777@127.0.0.1:1',
      'http://user:pa/ss-Secret-7777@127.0.0.1:1',
      'http://user:ss-Secret-7777@127.0.0.1:1',
      'user:ss-Secret-7777@127.0.0.1:1',
      'http://u:p@ss-Secret-7777@127.0.0.1:1',
    ]) {
      const result = await runCli(['balance', '--api-key', KEY, '--api-base', 'https://gateway.invalid/api/v1', '--max-retries', '0', '--debug'], {
        env: {HTTPS_PROXY: proxy},
      })
      const output = result.stdout + result.stderr
      expect(result.code, `${proxy}: ${output}`).not.toBe(0)
      expect(output, proxy).not.toContain('Secret-7777')
    }
  })
})
