/**
 * Runs the CLI through oclif. When the arguments name one of this CLI's own
 * commands, oclif's Config is loaded without the core plugins: they add only
 * the `help` and `autocomplete` commands and the command_not_found and
 * plugins:* hooks, none of which such a run uses, and finding and reading
 * three more packages is ~10 ms of every start-up. test/cli/startup.test.ts
 * keeps that premise true (no plugin registers a hook a command run fires).
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execute, settings} from '@oclif/core'

import {helpTopic} from './help-topics.js'
import {updateNoticeAllowed} from './terminal.js'
import {guardOutput} from './output-guard.js'
import {exitCodeOf} from '../shared/errors.js'
import {registerSecret, secretsInArgv} from '../shared/secrets.js'

/** The id of the command `argv` names (`purchases retrieve ID` → `purchases:retrieve`), if it is one of `commandIds`. */
export function ownCommandId(argv: string[], commandIds: ReadonlySet<string>): string | undefined {
  const words: string[] = []
  for (const arg of argv) {
    if (arg.startsWith('-')) break
    words.push(arg)
  }
  for (let length = words.length; length > 0; length--) {
    const id = words.slice(0, length).join(':')
    if (commandIds.has(id)) return id
  }
  return undefined
}

/** The build's manifest of one command (scripts/manifest.mjs): `purchases:retrieve` → dist/bundle/manifests/purchases.retrieve.json. */
function ownManifestPath(root: string, id: string): string {
  return join(root, 'dist', 'bundle', 'manifests', `${id.replaceAll(':', '.')}.json`)
}

/** Commands the core plugins add (help, autocomplete): oclif handles them. No `commands` or `plugins`: those plugins are not shipped. */
const PLUGIN_COMMANDS = new Set(['help', 'autocomplete', 'autocomplete:script'])

function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = saved
    }
  }
  return row[b.length]
}

/**
 * For words that name no command, topic or plugin command: the nearest
 * command or topic (`purchses list` → `purchases list`, `webhook` →
 * `webhooks`), or undefined when the words are something oclif should
 * handle. Decided here, and only suggested (never run): the same line with or
 * without a terminal, where the not-found plugin asked "Did you mean …?" and
 * ran the guess on Enter.
 */
export function unknownCommand(argv: string[], commandIds: ReadonlySet<string>): {typed: string; suggestion?: string} | undefined {
  const words: string[] = []
  for (const arg of argv) {
    if (arg.startsWith('-')) break
    words.push(arg)
  }
  if (words.length === 0 || ownCommandId(argv, commandIds) || PLUGIN_COMMANDS.has(words[0])) return undefined
  const ids = [...commandIds]
  const topic = words.join(':')
  if (ids.some((id) => id.startsWith(`${topic}:`))) return undefined
  // Every command and every topic (each prefix of a command's words), each a candidate for the words typed.
  const candidates = new Set([...ids, ...PLUGIN_COMMANDS])
  for (const id of ids) {
    const parts = id.split(':')
    for (let length = 1; length < parts.length; length++) candidates.add(parts.slice(0, length).join(':'))
  }
  let best: {id: string; score: number} | undefined
  for (const id of candidates) {
    const length = id.split(':').length
    if (length > words.length) continue
    const score = distance(words.slice(0, length).join(':'), id)
    // A topic typed exactly is not the mistake: the words after it are (`webhooks evnts list` → `webhooks events list`).
    if (score === 0) continue
    // The longer match wins a tie: `purchase retrieve` is `purchases retrieve`, not the topic `purchases`.
    if (!best || score < best.score || (score === best.score && length > best.id.split(':').length)) best = {id, score}
  }
  const typedWords = best ? words.slice(0, best.id.split(':').length) : words
  const close = best && best.score <= Math.max(2, Math.floor(best.id.length / 4))
  return {typed: typedWords.join(' '), suggestion: close ? best!.id.replaceAll(':', ' ') : undefined}
}

export async function launch(argv: string[], binUrl: string, commandIds: ReadonlySet<string>): Promise<void> {
  // Before anything can print, oclif's own messages included ("command balance:sk_test_… not found"):
  // the output boundary is up and every secret on the command line is known to it.
  guardOutput()
  for (const secret of secretsInArgv(argv)) registerSecret(secret)
  const topic = helpTopic(argv)
  if (topic !== undefined) {
    process.stdout.write(`${topic}\n`)
    return
  }
  const unknown = unknownCommand(argv, commandIds)
  if (unknown) {
    const hint = unknown.suggestion ? ` Did you mean \`ummah ${unknown.suggestion}\`?` : ''
    process.stderr.write(`Error: "${unknown.typed}" is not an ummah command.${hint} See \`ummah --help\`.\n`)
    // 127: the shell's code for a command not found, as oclif uses.
    process.exitCode = exitCodeOf('not_a_command')
    return
  }
  const root = join(fileURLToPath(binUrl), '..', '..')
  // Every run (bin/dev.js's too) is the bundle, never TypeScript sources: without this, NODE_ENV=development or
  // test makes oclif read tsconfig.json through the TypeScript compiler (9 MB, when it resolves) and look for tsx.
  settings.enableAutoTranspile = false
  // Read once: oclif's options for our own commands, and the update notice's name and version.
  let pjson: {name: string; version: string; oclif: Record<string, unknown>} | undefined
  const packageJson = () => (pjson ??= JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as NonNullable<typeof pjson>)
  // The root, not the bin's URL: oclif would take bin/package.json (it only says CommonJS) for the CLI's.
  const id = ownCommandId(argv, commandIds)
  if (!id) await execute({args: argv, loadOptions: {root}})
  else {
    const own = packageJson()
    // oclif's Config sets up every command of the manifest it reads, ~25 ms of a start for 84: a run of one of ours
    // reads the build's manifest of that one command instead (scripts/manifest.mjs; read by scripts/bundle.mjs's edit).
    const manifest = ownManifestPath(root, id)
    if (existsSync(manifest)) (settings as {ummahManifest?: string}).ummahManifest = manifest
    await execute({args: argv, loadOptions: {root, pjson: {...own, oclif: {...own.oclif, plugins: []}}}})
  }
  // After the command's own output, for a person at a terminal only; piped, in CI, nothing more is loaded.
  if (updateNoticeAllowed(process.env, Boolean(process.stdout.isTTY), Boolean(process.stderr.isTTY))) {
    const {name, version} = packageJson()
    ;(await import('./update-notice.js')).afterCommand({name, version})
  }
}
