/**
 * Runs the CLI through oclif. When the arguments name one of this CLI's own
 * commands, oclif's Config is loaded without the core plugins: they add only
 * the `help` and `autocomplete` commands and the command_not_found and
 * plugins:* hooks, none of which such a run uses, and finding and reading
 * three more packages is ~10 ms of every start-up. test/cli/startup.test.ts
 * keeps that premise true (no plugin registers a hook a command run fires).
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execute} from '@oclif/core'

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

export async function launch(argv: string[], binUrl: string, commandIds: ReadonlySet<string>): Promise<void> {
  if (!ownCommandId(argv, commandIds)) {
    await execute({args: argv, dir: binUrl})
    return
  }
  const root = join(fileURLToPath(binUrl), '..', '..')
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  await execute({args: argv, loadOptions: {root, pjson: {...pjson, oclif: {...pjson.oclif, plugins: []}}}})
}
