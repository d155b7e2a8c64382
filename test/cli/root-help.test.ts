/**
 * The root help without oclif's Config (src/cli/root-help.ts) for an
 * installed layout: a core plugin hoisted above the package, as npm installs
 * it into a project. (test/cli/startup.test.ts compares this repository's
 * root help with oclif's own.)
 */
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {isRootHelp, showRootHelp} from '../../src/cli/root-help.js'
import {tempDir} from '../helpers/cli.js'

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value))
}

/** project/node_modules/{tool, hello-plugin}: the plugin hoisted beside the tool, with an exports map hiding its package.json. */
function installedLayout(): {root: string; pluginManifest: string} {
  const modules = join(tempDir('ummah-root-help-'), 'node_modules')
  const root = join(modules, 'tool')
  const plugin = join(modules, 'hello-plugin')
  mkdirSync(root, {recursive: true})
  mkdirSync(join(plugin, 'lib'), {recursive: true})
  writeJson(join(root, 'package.json'), {
    name: 'tool',
    version: '1.2.3',
    description: 'A tool',
    oclif: {bin: 'tool', plugins: ['hello-plugin'], topicSeparator: ' '},
  })
  mkdirSync(join(root, 'dist', 'bundle'), {recursive: true})
  writeJson(join(root, 'dist', 'bundle', 'root-help.json'), {
    commands: {'things:list': {id: 'things:list', summary: 'List things', args: {}, flags: {}, aliases: []}},
  })
  writeJson(join(plugin, 'package.json'), {name: 'hello-plugin', version: '1.0.0', exports: './lib/index.js'})
  writeFileSync(join(plugin, 'lib', 'index.js'), 'module.exports = {}\n')
  const pluginManifest = join(plugin, 'oclif.manifest.json')
  writeJson(pluginManifest, {commands: {hello: {id: 'hello', summary: 'Say hello from <%= config.bin %>', args: {}, flags: {}, aliases: []}}})
  return {root, pluginManifest}
}

async function rendered(root: string): Promise<{shown: boolean; text: string}> {
  const lines: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line))
  try {
    return {shown: await showRootHelp(root), text: lines.join('\n')}
  } finally {
    log.mockRestore()
  }
}

afterEach(() => vi.unstubAllEnvs())

describe('root help from the manifests', () => {
  it('answers `ummah`, `--help`, `-h` and `help`, nothing else', () => {
    expect([[], ['--help'], ['-h'], ['help']].every((argv) => isRootHelp(argv))).toBe(true)
    expect([['-v'], ['help', 'purchases'], ['purchases'], ['--help', 'x']].some((argv) => isRootHelp(argv))).toBe(false)
  })

  it('lists the commands of a plugin hoisted above the package, with templates rendered, and derived topics', async () => {
    vi.stubEnv('TOOL_CONFIG_DIR', tempDir('ummah-root-help-config-'))
    const {root} = installedLayout()
    const {shown, text} = await rendered(root)
    expect(shown).toBe(true)
    expect(text).toContain('A tool')
    expect(text).toContain('tool/1.2.3')
    expect(text).toMatch(/TOPICS\n {2}things +List things/)
    expect(text).toMatch(/COMMANDS\n {2}hello +Say hello from tool/)
  })

  it('leaves it to oclif, writing nothing, when a plugin has no manifest or the user has a theme', async () => {
    const configDir = tempDir('ummah-root-help-config-')
    vi.stubEnv('TOOL_CONFIG_DIR', configDir)
    const {root, pluginManifest} = installedLayout()
    writeJson(join(configDir, 'theme.json'), {command: 'red'})
    expect(await rendered(root)).toEqual({shown: false, text: ''})
    rmSync(join(configDir, 'theme.json'))
    rmSync(pluginManifest)
    expect(await rendered(root)).toEqual({shown: false, text: ''})
  })
})
