/**
 * The package ships one copy of the code: what the bundle holds is not also a
 * dependency. Only the oclif plugins, which oclif reads from disk, and native
 * bindings (their binaries cannot be bundled) stay one.
 */
import {readFileSync, readdirSync} from 'node:fs'
import {builtinModules} from 'node:module'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ROOT} from './helpers/cli.js'

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
