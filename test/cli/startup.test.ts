/**
 * Cheap guards for start-up speed, no timings. The CLI runs from the esbuild
 * bundle in dist/bundle, so "which modules did a run load" is "which bundle
 * files did it load, and what went into them" (dist/bundle-meta.json):
 * - help and version load none of the heavy modules (undici, inquirer,
 *   chalk, proper-lockfile, jq, the sandbox, the listener);
 * - `--version` loads no oclif and `--help` no oclif Config, and both print
 *   exactly what oclif prints;
 * - a run of one of our commands skips the core plugins, which is only sound
 *   while they register no hook such a run fires.
 */
import {execFile, spawn} from 'node:child_process'
import {chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify, stripVTControlCharacters} from 'node:util'
import {Config} from '@oclif/core'
import {Help} from '@oclif/core/help'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {ROOT, runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {type TestServer, json, startServer} from '../helpers/server.js'
import {onTerminal} from '../helpers/pty.js'
import {until} from '../helpers/wait.js'

// The listener's and the schemes' modules, but not the scheme catalog flags are defined with.
const HEAVY = [
  /node_modules\/jq-wasm\//,
  /node_modules\/proper-lockfile\//,
  /node_modules\/undici\//,
  /node_modules\/@inquirer\//,
  /node_modules\/chalk\//,
  /^dist\/sandbox\//,
  /^dist\/webhooks\//,
  /^dist\/schemes\/(?!catalog\.js$)/,
  /^dist\/api\/proxy\.js$/,
  /node_modules\/ws\//,
  /node_modules\/@redis\//,
  /^dist\/relay\//,
  /^dist\/config\/key(s|chain)\.js$/,
  // The update check and the pager: only a person at a terminal loads them, never a piped or CI run.
  /^dist\/cli\/update-notice\.js$/,
  /^dist\/cli\/pager\.js$/,
]
// The OS keychain's native binding, external to the bundle: seen as a module URL, never as a bundle input.
const KEYCHAIN_BINDING = /\/node_modules\/@napi-rs\/keyring\//
const OCLIF_CONFIG = /node_modules\/@oclif\/core\/lib\/config\/config\.js$/

interface Load {
  /** Module URLs the ESM loader resolved. */
  urls: string[]
  /** What went into the bundle files among them (paths relative to the package root). */
  inputs: string[]
}

/** The modules a run loads; async, so a server in this process can answer it. */
async function modulesLoadedBy(args: string[], env: Record<string, string> = {}, exitCode = 0): Promise<Load> {
  const trace = join(tempDir('ummah-trace-'), 'trace.txt')
  const run = promisify(execFile)(
    process.execPath,
    ['--import', join(ROOT, 'test', 'helpers', 'trace-imports.mjs'), join(ROOT, 'bin', 'run.js'), ...args],
    {
      env: {...process.env, UMMAH_IMPORT_TRACE: trace, UMMAH_CONFIG_DIR: tempConfigDir(), CI: 'true', ...env},
    },
  )
  const code = await run.then(
    () => 0,
    (error: {code: number}) => error.code,
  )
  expect(code, `exit code of ummah ${args.join(' ')}`).toBe(exitCode)
  const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean)
  const chunks = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle-meta.json'), 'utf8')) as Record<string, string[]>
  const bundleDir = join(ROOT, 'dist', 'bundle')
  const inputs = urls
    .filter((url) => url.startsWith('file:'))
    .map((url) => fileURLToPath(url))
    .filter((path) => path.startsWith(`${bundleDir}/`))
    .flatMap((path) => chunks[path.slice(bundleDir.length + 1)] ?? [`unknown bundle file ${path}`])
  return {urls, inputs}
}

/** What oclif itself prints for the root help, rendered in this process from a fully loaded Config. */
async function oclifRootHelp(): Promise<string> {
  const config = await Config.load(ROOT)
  const lines: string[] = []
  // oclif's Help writes through console.log.
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(`${line}\n`))
  try {
    await new Help(config).showHelp([])
  } finally {
    log.mockRestore()
  }
  return lines.join('')
}

let gateway: TestServer
beforeAll(async () => {
  gateway = await startServer((_request, response) => json(response, 200, {id: 'p-1', status: 'paid'}))
})
afterAll(() => gateway.close())

describe('start-up imports', () => {
  it.each([
    [['--version']],
    [['--help']],
    [['purchases', 'retrieve', '--help']],
    [['webhooks', 'listen', '--help']],
    [['sandbox', 'start', '--help']],
  ])('ummah %j loads no heavy module', async (args) => {
    const {urls, inputs} = await modulesLoadedBy(args)
    expect(urls.length).toBeGreaterThan(0)
    if (args[0] !== '--version') expect(inputs.length).toBeGreaterThan(0)
    for (const pattern of HEAVY)
      expect(
        inputs.filter((input) => pattern.test(input)),
        String(pattern),
      ).toEqual([])
    expect(
      urls.filter((url) => /\/node_modules\//.test(url)),
      'everything but the bundle',
    ).toEqual([])
  })

  it("--version answers without oclif, with exactly oclif's text", async () => {
    const {urls} = await modulesLoadedBy(['--version'])
    expect(urls.filter((url) => url.includes('/dist/'))).toEqual([])
    const {stdout} = await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'run.js'), '--version'])
    const config = await Config.load(ROOT)
    expect(stdout).toBe(`${config.userAgent}\n`)
  })

  it("the root help loads no oclif Config, and is exactly oclif's, for `ummah`, `ummah --help` and `ummah help`", async () => {
    const {inputs} = await modulesLoadedBy(['--help'])
    expect(inputs.some((input) => input.includes('node_modules/@oclif/core/lib/help/'))).toBe(true)
    expect(inputs.filter((input) => OCLIF_CONFIG.test(input))).toEqual([])
    const expected = await oclifRootHelp()
    expect(expected).toContain('TOPICS')
    for (const args of [[], ['--help'], ['help']]) {
      const result = await runCli(args)
      expect({args, code: result.code, stdout: result.stdout, stderr: result.stderr}).toEqual({args, code: 0, stdout: expected, stderr: ''})
    }
  })

  it("a command's help, given oclif from that command's own manifest, is oclif's from all of them: a command, an alias, completion", async () => {
    const config = await Config.load(ROOT)
    for (const words of [['purchases', 'retrieve'], ['auth', 'status'], ['completion']]) {
      const lines: string[] = []
      const log = vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(`${line}\n`))
      try {
        await new Help(config).showHelp(words)
      } finally {
        log.mockRestore()
      }
      expect(lines.join('')).toContain('USAGE')
      const result = await runCli([...words, '--help'])
      expect({words, code: result.code, stdout: result.stdout, stderr: result.stderr}).toEqual({words, code: 0, stdout: lines.join(''), stderr: ''})
    }
  })

  it("a user's oclif theme.json sends the root help through oclif, which applies it", async () => {
    const configDir = tempConfigDir()
    mkdirSync(configDir, {recursive: true})
    writeFileSync(join(configDir, 'theme.json'), JSON.stringify({command: 'red'}))
    const {inputs} = await modulesLoadedBy(['--help'], {UMMAH_CONFIG_DIR: configDir})
    expect(inputs.some((input) => OCLIF_CONFIG.test(input))).toBe(true)
  })

  it('an API command loads node:http lazily (the trace sees lazy imports), but not undici, the sandbox or the listener', async () => {
    const {urls, inputs} = await modulesLoadedBy(['purchases', 'retrieve', 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', '--json'], {
      UMMAH_API_BASE: gateway.apiBase,
      UMMAH_SECRET_KEY: 'sk_test_trace',
    })
    expect(urls).toContain('node:http')
    expect(inputs.some((input) => input === 'dist/api/http.js')).toBe(true)
    // Node modules a GET neither sends with nor needs (required on first use: src/shared/lazy-crypto.ts, scripts/bundle.mjs's OCLIF_EDITS).
    expect(urls.filter((url) => ['node:crypto', 'node:child_process', 'node:readline', 'node:perf_hooks'].includes(url))).toEqual([])
    expect(inputs.filter((input) => input.startsWith('node_modules/wsl-utils/'))).toEqual([])
    for (const pattern of HEAVY)
      expect(
        inputs.filter((input) => pattern.test(input)),
        String(pattern),
      ).toEqual([])
    expect(urls.filter((url) => KEYCHAIN_BINDING.test(url))).toEqual([])
    // jq (1.3 MB) only when --jq asks for it.
    const filtered = await modulesLoadedBy(['purchases', 'retrieve', 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', '--jq', '.id'], {
      UMMAH_API_BASE: gateway.apiBase,
      UMMAH_SECRET_KEY: 'sk_test_trace',
    })
    expect(filtered.inputs.some((input) => input.startsWith('node_modules/jq-wasm/'))).toBe(true)
  })

  it("an API command gives oclif the build's manifest of that one command, not all of oclif.manifest.json", async () => {
    // An installed copy whose oclif.manifest.json names no command: only a run that reads its own command's manifest finds it.
    const install = tempDir('ummah-own-manifest-')
    for (const entry of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, entry), join(install, entry), {recursive: true})
    symlinkSync(join(ROOT, 'node_modules'), join(install, 'node_modules'))
    const {version} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
    writeFileSync(join(install, 'oclif.manifest.json'), JSON.stringify({version, commands: {}}))
    const env = {
      ...process.env,
      UMMAH_CONFIG_DIR: tempConfigDir(),
      XDG_CACHE_HOME: tempDir('ummah-cache-home-'),
      UMMAH_API_BASE: gateway.apiBase,
      UMMAH_SECRET_KEY: 'sk_test_own',
      CI: 'true',
    }
    const retrieve = () =>
      promisify(execFile)(
        process.execPath,
        [join(install, 'bin', 'run.js'), 'purchases', 'retrieve', 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', '--json'],
        {env},
      )
    expect(JSON.parse((await retrieve()).stdout)).toEqual({id: 'p-1', status: 'paid'})
    // Without the build's manifests, oclif reads oclif.manifest.json, as it always did: here it names no command.
    rmSync(join(install, 'dist', 'bundle', 'manifests'), {recursive: true})
    const failed = await retrieve().then(
      () => undefined,
      (error: {code: number; stderr: string}) => error,
    )
    expect(failed?.code).toBe(2)
    expect(failed?.stderr).toContain('command purchases:retrieve')
  })

  it('an API command reads a saved profile without the config lock (only commands that change profiles load it)', async () => {
    const configDir = tempConfigDir()
    mkdirSync(configDir, {recursive: true})
    writeFileSync(
      join(configDir, 'config.json'),
      JSON.stringify({active_profile: 'ci', profiles: {ci: {api_key: 'sk_test_trace', api_base: gateway.apiBase}}}),
    )
    const reading = await modulesLoadedBy(['purchases', 'retrieve', 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', '--json'], {UMMAH_CONFIG_DIR: configDir})
    expect(reading.inputs.filter((input) => /node_modules\/(proper-lockfile|graceful-fs)\//.test(input))).toEqual([])
    expect(gateway.requests.at(-1)?.headers.authorization).toBe('Bearer sk_test_trace')
    const changing = await modulesLoadedBy(['config', 'set', 'color', 'never'], {UMMAH_CONFIG_DIR: configDir})
    expect(changing.inputs.some((input) => input.includes('node_modules/proper-lockfile/'))).toBe(true)
  })

  it('the keychain binding loads only for a profile whose key is in the keychain, when the key is needed', async () => {
    const configDir = tempConfigDir()
    mkdirSync(configDir, {recursive: true})
    const live = {api_key_keychain: {account: 'live:00000000-0000-0000-0000-000000000000', masked: 'sk_live_…0000'}, api_base: gateway.apiBase}
    writeFileSync(
      join(configDir, 'config.json'),
      JSON.stringify({active_profile: 'ci', profiles: {ci: {api_key: 'sk_test_trace', api_base: gateway.apiBase}, live}}),
    )
    const env = {UMMAH_CONFIG_DIR: configDir, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/ummah-trace'}
    for (const args of [
      ['purchases', 'retrieve', 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', '--json'],
      ['profiles', 'list'],
      ['whoami', '--help'],
    ]) {
      const {urls, inputs} = await modulesLoadedBy(args, env)
      expect(
        urls.filter((url) => KEYCHAIN_BINDING.test(url)),
        args.join(' '),
      ).toEqual([])
      expect(
        inputs.filter((input) => input.startsWith('dist/config/key')),
        args.join(' '),
      ).toEqual([])
    }
    // What the guard sees when the binding does load: the live profile's key needed (no keychain here, so exit 3).
    const reading = await modulesLoadedBy(['whoami', '--profile', 'live'], env, 3)
    expect(reading.urls.filter((url) => KEYCHAIN_BINDING.test(url)).length).toBeGreaterThan(0)
    expect(reading.inputs).toContain('dist/config/keychain.js')
  })

  it('a webhooks command loads the webhook modules, from chunks of their own', async () => {
    const {inputs} = await modulesLoadedBy(['webhooks', 'events', 'list'])
    expect(inputs).toContain('dist/webhooks/spool.js')
    // Of their own: the chunk that holds the spool is not the entry every command loads.
    const chunks = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle-meta.json'), 'utf8')) as Record<string, string[]>
    const holding = Object.entries(chunks)
      .filter(([, chunkInputs]) => chunkInputs.includes('dist/webhooks/spool.js'))
      .map(([file]) => file)
    expect(holding).toHaveLength(1)
    expect(holding[0]).not.toBe('ummah.js')
    expect(chunks['ummah.js'].filter((input) => input.startsWith('dist/webhooks/'))).toEqual([])
  })
})

describe('code cache', () => {
  const BUILD_ID = (JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle', 'package.json'), 'utf8')) as {buildId: string}).buildId
  const NAME = `${process.version}-${process.arch}-${BUILD_ID}`
  /** Each cache file's inode and bytes: a file written again is a new inode (temporary file, then rename). */
  const snapshot = (dir: string) =>
    Object.fromEntries(
      readdirSync(dir)
        .sort()
        .map((name) => [name, `${statSync(join(dir, name)).ino}:${readFileSync(join(dir, name)).toString('base64').slice(0, 40)}`]),
    )

  it("keeps V8's compiled code of the bundle, private, and gives it back to the next run", async () => {
    const home = tempDir('ummah-cache-home-')
    const root = join(home, 'ummah', 'code-cache')
    // A cache of another build of this Node (an older ummah) is dropped; another Node's is kept.
    mkdirSync(join(root, `${process.version}-${process.arch}-0123456789abcdef`), {recursive: true})
    mkdirSync(join(root, `v0.0.0-${process.arch}-0123456789abcdef`), {recursive: true})
    const first = await runCli(['purchases', 'retrieve', '--help'], {env: {XDG_CACHE_HOME: home}})
    expect(first.code).toBe(0)
    expect(readdirSync(root).sort()).toEqual([`v0.0.0-${process.arch}-0123456789abcdef`, NAME].sort())
    const dir = join(root, NAME)
    const files = readdirSync(dir)
    expect(files).toContain('ummah.js.v8')
    expect(files.every((name) => name.endsWith('.js.v8'))).toBe(true)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    for (const name of files) expect(statSync(join(dir, name)).mode & 0o777, name).toBe(0o600)

    // V8 takes every file: none is written again, and the help is the same.
    const kept = snapshot(dir)
    const second = await runCli(['purchases', 'retrieve', '--help'], {env: {XDG_CACHE_HOME: home}})
    expect(second.stdout).toBe(first.stdout)
    expect(snapshot(dir)).toEqual(kept)

    // Damaged data is refused by V8 and written again; the run is unchanged.
    writeFileSync(join(dir, 'ummah.js.v8'), Buffer.alloc(4096, 7))
    const third = await runCli(['purchases', 'retrieve', '--help'], {env: {XDG_CACHE_HOME: home}})
    expect([third.code, third.stdout]).toEqual([0, first.stdout])
    expect(readFileSync(join(dir, 'ummah.js.v8')).equals(Buffer.alloc(4096, 7))).toBe(false)
    expect(snapshot(dir)['ummah.js.v8']).not.toBe(kept['ummah.js.v8'])
  })

  it("a run that changes V8's flags (the relay sizes its heap) writes no cache: V8 would refuse it to every other run", async () => {
    const home = tempDir('ummah-cache-home-')
    const dir = join(home, 'ummah', 'code-cache', NAME)
    expect((await runCli(['relay', 'start', '--help'], {env: {XDG_CACHE_HOME: home}})).code).toBe(0)
    const kept = snapshot(dir)
    const relay = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'relay', 'start', '--port', '0', '--data-dir', tempDir('ummah-relay-')], {
      env: {...process.env, UMMAH_CONFIG_DIR: tempConfigDir(), XDG_CACHE_HOME: home, UMMAH_RELAY_TOKEN: 'relay-admin-token-0123456789'},
    })
    let said = ''
    relay.stdout.on('data', (chunk: Buffer) => (said += chunk))
    const exited = new Promise((resolve) => relay.on('exit', resolve))
    await until(() => said.includes('Ready.'), 'the relay to be ready')
    relay.kill('SIGTERM')
    await exited
    expect(snapshot(dir)).toEqual(kept)
    // And the next ordinary run still takes it.
    await runCli(['relay', 'start', '--help'], {env: {XDG_CACHE_HOME: home}})
    expect(snapshot(dir)).toEqual(kept)
  })

  it('uses no cache in a directory others may write to, nor with UMMAH_NO_CODE_CACHE=1', async () => {
    const home = tempDir('ummah-cache-home-')
    const dir = join(home, 'ummah', 'code-cache', NAME)
    mkdirSync(dir, {recursive: true})
    chmodSync(dir, 0o777)
    const shared = await runCli(['purchases', 'retrieve', '--help'], {env: {XDG_CACHE_HOME: home}})
    expect(shared.code).toBe(0)
    expect(readdirSync(dir)).toEqual([])

    const off = tempDir('ummah-cache-home-')
    const result = await runCli(['purchases', 'retrieve', '--help'], {env: {XDG_CACHE_HOME: off, UMMAH_NO_CODE_CACHE: '1'}})
    expect(result.code).toBe(0)
    expect(readdirSync(off)).toEqual([])
  })
})

describe('core plugins skipped for our own commands', () => {
  it('no core plugin registers a hook that a run of one of our commands would fire', () => {
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {oclif: {plugins: string[]}}
    const allowed = new Set(['command_not_found', 'plugins:preinstall', 'plugins:postinstall', 'plugins:postuninstall'])
    for (const plugin of pjson.oclif.plugins) {
      const hooks = Object.keys(
        (JSON.parse(readFileSync(join(ROOT, 'node_modules', plugin, 'package.json'), 'utf8')) as {oclif: {hooks?: object}}).oclif.hooks ?? {},
      )
      expect(
        hooks.filter((hook) => !allowed.has(hook)),
        plugin,
      ).toEqual([])
    }
  })

  it('plugin commands and the not-found suggestions still work', async () => {
    const help = await runCli(['help', 'purchases', 'retrieve'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('USAGE\n  $ ummah purchases retrieve ID')
    // Without a terminal too: the nearest command, exit 127, oclif not loaded for it.
    const typo = await runCli(['purchase', 'retrieve', 'ID'], {env: {CI: 'true'}})
    expect(typo.code).toBe(127)
    expect(stripVTControlCharacters(typo.stderr)).toBe(
      'Error: "purchase retrieve" is not an ummah command. Did you mean `ummah purchases retrieve`? See `ummah --help`.\n',
    )
    const nothing = await runCli(['frobnicate'])
    expect(nothing.code).toBe(127)
    expect(nothing.stderr).toBe('Error: "frobnicate" is not an ummah command. See `ummah --help`.\n')
  })

  it('suggests topics and commands, on a terminal as off one, and never runs a guess', async () => {
    const cases: Array<[string[], string]> = [
      [['purchses'], 'Error: "purchses" is not an ummah command. Did you mean `ummah purchases`? See `ummah --help`.'],
      [['webhook'], 'Error: "webhook" is not an ummah command. Did you mean `ummah webhooks`? See `ummah --help`.'],
      [
        ['webhooks', 'evnts', 'list'],
        'Error: "webhooks evnts list" is not an ummah command. Did you mean `ummah webhooks events list`? See `ummah --help`.',
      ],
      [['plugins'], 'Error: "plugins" is not an ummah command. See `ummah --help`.'],
    ]
    for (const [args, line] of cases) {
      const piped = await runCli(args, {env: {CI: 'true'}})
      expect([piped.code, stripVTControlCharacters(piped.stderr)], args.join(' ')).toEqual([127, `${line}\n`])
      // On a terminal, Enter pressed at once: nothing is asked, nothing is run (the not-found plugin used to run `login` here).
      const terminal = await onTerminal(args, [['', '\r']], {UMMAH_CONFIG_DIR: tempConfigDir()})
      expect(terminal.code, args.join(' ')).toBe(127)
      expect(stripVTControlCharacters(terminal.raw).replaceAll('\r', '').trim(), args.join(' ')).toBe(line)
    }
  })
})
