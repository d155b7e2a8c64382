/** The real binary on a pseudo-terminal (test/helpers/pty_run.py): what a person at a terminal sees, prompts answered by `steps`. */
import {execFile} from 'node:child_process'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {ROOT, tempDir} from './cli.js'

export interface PtyResult {
  code: number
  /** The output with terminal sequences (colour, cursor moves) removed. */
  output: string
  raw: string
}

/**
 * Runs `ummah ARGS` on a terminal (TERM=xterm, no CI): `steps` are [pattern,
 * reply] pairs typed when the output matches; `env` goes last (PTY_COLUMNS
 * sets the terminal's width, PAGER a pager: none by default).
 */
export async function onTerminal(args: string[], steps: Array<[string, string]>, env: Record<string, string | undefined>): Promise<PtyResult> {
  // No pager unless a test asks for one: `less` would wait for a key on output longer than the pty's 24 rows.
  // Not CI (a person at a terminal) unless the test says so.
  const {CI: _ci, ...inherited} = process.env
  // No update check either unless asked: a terminal run would ask the npm registry (outside this machine).
  const full: NodeJS.ProcessEnv = {...inherited, TERM: 'xterm', PAGER: 'cat', UMMAH_NO_UPDATE_NOTIFIER: '1', ...env}
  for (const [name, value] of Object.entries(full)) if (value === undefined) delete full[name]
  const {stdout} = await promisify(execFile)(
    'python3',
    [join(ROOT, 'test/helpers/pty_run.py'), JSON.stringify(steps), '--', process.execPath, join(ROOT, 'bin/run.js'), ...args],
    // In a directory of its own, as a user runs it: what a command writes where it runs (a statement's file) stays out of the repository.
    {env: full, cwd: tempDir('ummah-pty-')},
  )
  const result = JSON.parse(stdout) as {code: number; output: string}
  return {code: result.code, output: result.output.replaceAll(/\u001B\[[\d;?]*[A-Za-z]/g, ''), raw: result.output}
}
