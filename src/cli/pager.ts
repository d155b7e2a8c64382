/**
 * Long output on a terminal goes through a pager, as gh does: `UMMAH_PAGER`,
 * then `PAGER`, else `less -FRX` (F: quit when it fits one screen, so short
 * output prints as if there were none; R: keep colours; X: leave it on the
 * screen). Never when stdout is not a terminal, with --no-pager, in CI, or
 * when the pager is empty or `cat`.
 */
import {spawn} from 'node:child_process'

import {isCI} from './terminal.js'

const DEFAULT_PAGER = 'less -FRX'

/** The pager command line, or undefined when output goes straight to stdout. */
export function pagerCommand(options: {stdoutTTY: boolean; noPager: boolean; env: NodeJS.ProcessEnv}): string | undefined {
  const {env} = options
  if (!options.stdoutTTY || options.noPager || isCI(env)) return undefined
  const command = (env.UMMAH_PAGER ?? env.PAGER ?? DEFAULT_PAGER).trim()
  return command === '' || command === 'cat' ? undefined : command
}

/**
 * Writes the text through the pager (`sh -c`, so `less -R` and
 * `$BROWSER`-style command lines work) and waits until it exits. A pager that
 * cannot start (`sh` says 127, not found) leaves the text on stdout as it would have been.
 */
export async function page(command: string, text: string, stdout: NodeJS.WritableStream): Promise<void> {
  // less reads LESS when it is started bare (PAGER=less): the same -FRX, unless the user set their own.
  const env = {...process.env, LESS: process.env.LESS ?? 'FRX', LV: process.env.LV ?? '-c'}
  const child = spawn('sh', ['-c', command], {stdio: ['pipe', 'inherit', 'inherit'], env})
  // Quitting the pager before the end closes its input: that is the reader leaving, not an error.
  child.stdin.on('error', () => {})
  child.stdin.end(text)
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(127))
    child.on('close', (exit) => resolve(exit))
  })
  if (code === 127) stdout.write(text)
}
