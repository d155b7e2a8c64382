/**
 * `ummah`, `ummah --help` and `ummah help` without loading oclif's Config:
 * oclif's own Help class renders the root help from what Config would have
 * gathered — the package.json, this CLI's commands as the build indexed them
 * from oclif.manifest.json, and the manifests of its core plugins — so the
 * text is oclif's, at a fraction of the start-up (bin/run.js).
 * test/cli/startup.test.ts compares the two.
 */
import {existsSync, readFileSync} from 'node:fs'
import {arch, homedir} from 'node:os'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import type {Command, Config, Interfaces} from '@oclif/core'
import {Help} from '@oclif/core/help'

interface Manifest {
  commands: Record<string, Command.Cached>
}

interface PackageJson {
  name: string
  version: string
  description?: string
  oclif: {
    bin?: string
    dirname?: string
    plugins?: string[]
    topicSeparator?: string
    topics?: Record<string, {description?: string; hidden?: boolean}>
  }
}

/** The arguments oclif answers with the root help. */
export function isRootHelp(argv: string[]): boolean {
  return argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help'))
}

/**
 * Writes the root help; false, having written nothing, when a user theme
 * (which oclif's Config would load) or a plugin without a manifest calls for
 * oclif itself.
 */
export async function showRootHelp(root: string): Promise<boolean> {
  const pjson = readJson<PackageJson>(join(root, 'package.json'))
  const bin = pjson.oclif.bin ?? pjson.name
  if (existsSync(join(oclifConfigDir(bin, pjson), 'theme.json'))) return false
  // This CLI's commands from the build's index of its manifest (scripts/manifest.mjs): without flags, args and
  // examples, 45 KB to parse instead of 420 KB, ~15 ms of this start-up.
  const manifests = [join(root, 'dist', 'bundle', 'root-help.json'), ...(pjson.oclif.plugins ?? []).map((plugin) => pluginManifest(root, plugin))]
  if (!manifests.every((path) => path !== undefined && existsSync(path))) return false
  const commands = manifests.flatMap((path) => Object.values(readJson<Manifest>(path!).commands))

  const config = {
    bin,
    pjson,
    topicSeparator: pjson.oclif.topicSeparator ?? ':',
    userAgent: `${pjson.name}/${pjson.version} ${process.platform}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}`,
    commands,
    topics: topicsOf(pjson, commands),
    theme: undefined,
  }
  const help = new Help(config as unknown as Config)
  // oclif renders every text through ejs, compiling a function for each (~40% of the root help's time here);
  // a text with no tag renders as itself.
  const render = help.render
  help.render = (input) => (input.includes('<%') ? render(input) : input)
  await help.showHelp([])
  return true
}

/** As oclif's Config.loadTopics: the declared topics, then one per id prefix of every visible command. */
function topicsOf(pjson: PackageJson, commands: Command.Cached[]): Interfaces.Topic[] {
  const topics = new Map<string, Interfaces.Topic>()
  for (const [name, topic] of Object.entries(pjson.oclif.topics ?? {})) topics.set(name, {name, description: topic.description, hidden: topic.hidden})
  for (const command of commands.filter((candidate) => !candidate.hidden)) {
    const parts = command.id.split(':')
    for (; parts.length > 0; parts.pop()) {
      const name = parts.join(':')
      if (!topics.has(name)) topics.set(name, {name, description: command.summary || command.description})
    }
  }
  return [...topics.values()]
}

/** oclif's config directory (Config.configDir), where a user's theme.json lives. */
function oclifConfigDir(bin: string, pjson: PackageJson): string {
  const scoped = process.env[`${bin.replaceAll(/[/-]/g, '_').toUpperCase()}_CONFIG_DIR`]
  return scoped || join(process.env.XDG_CONFIG_HOME || join(process.env.HOME || homedir(), '.config'), pjson.oclif.dirname ?? pjson.name)
}

/** A plugin's manifest: in this package's node_modules, else where Node finds the plugin (hoisted), beside the package.json above its entry module (its exports hide the package.json itself). */
function pluginManifest(root: string, plugin: string): string | undefined {
  const nested = join(root, 'node_modules', plugin, 'oclif.manifest.json')
  if (existsSync(nested)) return nested
  let dir: string
  try {
    dir = dirname(createRequire(join(root, 'package.json')).resolve(plugin))
  } catch {
    return undefined
  }
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return join(dir, 'oclif.manifest.json')
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}
