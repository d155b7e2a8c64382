/**
 * The package ships one copy of the code: what the bundle holds is not also a
 * dependency. Only the oclif plugins, which oclif reads from disk, and native
 * bindings (their binaries cannot be bundled) stay one.
 */
import {execFile, spawn} from 'node:child_process'
import {readFileSync, readdirSync} from 'node:fs'
import {builtinModules} from 'node:module'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../src/sandbox/server.js'
import {ROOT, cliEnv, tempDir} from './helpers/cli.js'
import {json, startServer} from './helpers/server.js'
import {until} from './helpers/wait.js'

const run = promisify(execFile)

interface PackedFile {
  path: string
  size: number
}

/** What `npm pack` would put in the tarball (dry run: nothing is written). */
async function packed(): Promise<PackedFile[]> {
  const {stdout} = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {cwd: ROOT})
  return (JSON.parse(stdout) as Array<{files: PackedFile[]}>)[0].files
}

/** The packages the bundle holds code from, as the bundle's inputs name them (dist/bundle-meta.json). */
function bundledPackages(): string[] {
  const chunks = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle-meta.json'), 'utf8')) as Record<string, string[]>
  const dirs = new Set(
    Object.values(chunks)
      .flatMap((inputs) => inputs.map((input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? []))
      .flat(),
  )
  return [...dirs].map((dir) => {
    const pjson = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as {name: string; version: string}
    return `${pjson.name}@${pjson.version}`
  })
}

const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
// The OS keychain binding: a .node binary per platform, from its optional dependencies.
const NATIVE = ['@napi-rs/keyring']

describe('package', () => {
  it('depends on the oclif plugins and native bindings only; everything else is bundled', () => {
    expect(Object.keys(pjson.dependencies).sort()).toEqual([...pjson.oclif.plugins, ...NATIVE].sort())
    const bundle = join(ROOT, 'dist', 'bundle')
    const external = new Set<string>()
    for (const file of readdirSync(bundle).filter((name) => name.endsWith('.js'))) {
      // Comments (bundled JSDoc examples) import nothing.
      const text = readFileSync(join(bundle, file), 'utf8').replaceAll(/\/\*[\s\S]*?\*\//g, '')
      for (const match of text.matchAll(
        /\bfrom\s*"((?:@[\w.-]+\/)?[\w.:-]+(?:\/[\w./-]+)?)"|\bimport\(\s*"((?:@[\w.-]+\/)?[\w.:-]+(?:\/[\w./-]+)?)"\s*\)|\brequire\(\s*"((?:@[\w.-]+\/)?[\w.:-]+(?:\/[\w./-]+)?)"\s*\)/g,
      )) {
        external.add(match[1] ?? match[2] ?? match[3])
      }
    }
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))
    // typescript/ts-node/tsx: oclif reaches for them only to run TypeScript sources in development.
    // @node-rs/xxhash: node-redis imports it inside a try, only for its digest() helper, which the relay never calls.
    const optional = ['typescript', 'ts-node', 'tsx', '@node-rs/xxhash']
    expect(
      [...external].filter((name) => !name.startsWith('.') && !builtins.has(name) && !optional.includes(name) && !NATIVE.includes(name)),
    ).toEqual([])
    // Native bindings are imported, never bundled: the bundle must not hold a copy of their loader.
    expect([...external]).toEqual(expect.arrayContaining(NATIVE))
  })

  it('has a LICENSE and a repository, ignores packed tarballs, and its README points nowhere outside the repository', () => {
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/)
    expect(pjson.repository).toEqual({type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/[\w-]+\/[\w-]+\.git$/)})
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('*.tgz')
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    expect(readme).not.toMatch(/\.\.\/shared|\]\(\.\.\//)
    expect(readme).toContain('docs/ARCHITECTURE.md')
  })
})

describe('the tarball', {timeout: 180_000}, () => {
  it('ships what runs: the bundle, the manifest, the README, LICENSE and the licences of the bundled packages; no compiler output, meta or dev entry', async () => {
    const paths = (await packed()).map((file) => file.path)
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'bin/run.js',
        'bin/package.json',
        'bin/code-cache.js',
        'oclif.manifest.json',
        'dist/bundle/ummah.js',
        'dist/bundle/package.json',
        'dist/bundle/root-help.json',
        'dist/bundle/THIRD-PARTY-LICENSES.txt',
        'man/man1/ummah.1',
        'man/man1/ummah-purchases-create.1',
      ]),
    )
    expect(paths.filter((path) => path.startsWith('dist/') && !path.startsWith('dist/bundle/'))).toEqual([])
    expect(paths.filter((path) => /meta\.json$|^bin\/dev\.js$|\.ts$|^test\/|^src\//.test(path))).toEqual([])
    expect(paths).toContain('dist/bundle/manifests/purchases.retrieve.json')
    expect(paths.filter((path) => path.startsWith('dist/bundle/') && !/\.(js|txt)$|^dist\/bundle\/manifests\/[a-z.-]+\.json$/.test(path))).toEqual([
      'dist/bundle/package.json',
      'dist/bundle/root-help.json',
    ])
  })

  it('names every bundled package, with its licence text, in THIRD-PARTY-LICENSES.txt', () => {
    const licences = readFileSync(join(ROOT, 'dist', 'bundle', 'THIRD-PARTY-LICENSES.txt'), 'utf8')
    const bundled = bundledPackages()
    expect(bundled.length).toBeGreaterThan(20)
    const named = [...licences.matchAll(/^(\S+@\d\S*) \(([^)]+)\)$/gm)].map((match) => match[1])
    expect(named.sort()).toEqual([...new Set(bundled)].sort())
    // Each with text: the package's own licence file, or a line naming the licence its package.json gives.
    for (const section of licences.split(/\n={72}\n/).slice(1)) expect(section.trim().split('\n').length, section.slice(0, 80)).toBeGreaterThan(1)
  })

  it('a global install from the tarball into a fresh prefix runs --help, an API command and listen', async () => {
    const dir = tempDir('ummah-install-')
    const {stdout: packedName} = await run('npm', ['pack', ROOT, '--pack-destination', dir, '--silent', '--ignore-scripts'], {cwd: dir})
    const prefix = join(dir, 'prefix')
    await run('npm', ['install', '-g', '--prefix', prefix, join(dir, packedName.trim().split('\n').at(-1)!), '--no-audit', '--no-fund'], {cwd: dir})
    const ummah = join(prefix, 'bin', 'ummah')
    const env = cliEnv({CI: 'true'})

    // npm links the package's man pages into the prefix: `man ummah`, `man ummah-purchases-create`.
    for (const page of ['ummah.1', 'ummah-purchases-create.1']) {
      const shown = await run('man', ['-M', join(prefix, 'share', 'man'), page.replace(/\.1$/, '')], {env: {...env, MANPAGER: 'cat', MANWIDTH: '80'}})
      expect(shown.stdout, page).toMatch(new RegExp(`^${page.replace(/\.1$/, '').toUpperCase()}\\(1\\)`))
    }
    const help = await run(ummah, ['--help'], {env})
    expect(help.stdout).toContain('USAGE\n  $ ummah [COMMAND]')

    const gateway = await startServer((_request, response) => json(response, 200, {id: 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', status: 'paid'}))
    try {
      const api = await run(
        ummah,
        ['purchases', 'retrieve', 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', '--api-base', gateway.apiBase, '--api-key', 'sk_test_installed', '--json'],
        {env},
      )
      expect(JSON.parse(api.stdout)).toEqual({id: 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', status: 'paid'})
      expect(gateway.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
        'GET /api/v1/purchases/d6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e/',
      ])
    } finally {
      await gateway.close()
    }

    const sandbox: Sandbox = await startSandbox({port: 0, host: '127.0.0.1'})
    try {
      const listen = spawn(
        ummah,
        [
          'webhooks',
          'listen',
          '--forward',
          '127.0.0.1:9/webhook',
          '--api-base',
          sandbox.apiBase,
          '--api-key',
          'sk_test_installed',
          '--format',
          'json',
        ],
        {env},
      )
      let output = ''
      listen.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      listen.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => listen.on('exit', (code) => resolve(code)))
      const ready = await until(
        () => output.split('\n').find((line) => line.startsWith('{"type":"ready"')),
        'the installed listen to be ready',
        30_000,
      )
      expect(JSON.parse(ready)).toMatchObject({type: 'ready', forward: 'http://127.0.0.1:9/webhook'})
      listen.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      await sandbox.close()
    }
  })
})
