/** Edits text in the user's editor, as git and gh do: $VISUAL, then $EDITOR, else vi; the file private to the user and removed after. */
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {UsageError} from '../shared/errors.js'

export async function editText(text: string, options: {interactive: boolean; env?: NodeJS.ProcessEnv; name?: string}): Promise<string> {
  const env = options.env ?? process.env
  const editor = env.VISUAL || env.EDITOR || (options.interactive ? 'vi' : undefined)
  if (!editor) throw new UsageError('No editor to open off a terminal', 'Set EDITOR (or VISUAL), or run this on a terminal.')
  const dir = await mkdtemp(join(tmpdir(), 'ummah-edit-'))
  const file = join(dir, options.name ?? 'event.json')
  try {
    await writeFile(file, text, {mode: 0o600})
    // Through the shell, so an editor with arguments (`code --wait`) works; the file is "$1", never part of the command text.
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'sh', file], {stdio: 'inherit', env})
      child.once('error', reject)
      child.once('exit', resolve)
    })
    if (code !== 0) throw new UsageError(`The editor (${editor}) exited with ${code}: nothing sent`, 'Save and quit normally to send the edit.')
    return await readFile(file, 'utf8')
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
