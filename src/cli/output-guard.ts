/**
 * The output boundary: stdout and stderr of the process pass every string
 * written through two rules, whatever wrote it (results, `--json`, errors,
 * `--debug` traces, listener lines, notices):
 * - every registered secret is masked, so a gateway that echoes the key back
 *   (`The key sk_test_… is revoked`) is masked without each message path
 *   having to remember;
 * - control characters become visible escapes (src/shared/terminal-text.ts),
 *   so no server, sender or relay can drive the terminal; the CLI's own
 *   colours and progress line are kept. JSON is unchanged: it has no raw
 *   controls (jsonText escapes C1 too).
 * Buffers (a statement file streamed to stdout) pass untouched. Prompts,
 * which move the cursor themselves, write raw while they are shown
 * (`withTerminalControl`).
 */
import {redactKnown} from '../shared/secrets.js'
import {printableOutput} from '../shared/terminal-text.js'

let guarded = false
let prompting = 0

export function guardOutput(): void {
  if (guarded) return
  guarded = true
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
    const guard = (text: string) => (prompting > 0 ? redactKnown(text) : guardedText(text))
    stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? guard(chunk) : chunk, ...rest)) as typeof stream.write
  }
}

/** A string as the boundary lets it through: secrets masked, controls escaped. For output that leaves by another way (the pager's input). */
export function guardedText(text: string): string {
  return printableOutput(redactKnown(text))
}

/** Runs a prompt, which draws with cursor movements of its own; secrets stay masked meanwhile. */
export async function withTerminalControl<T>(prompt: () => Promise<T>): Promise<T> {
  prompting++
  try {
    return await prompt()
  } finally {
    prompting--
  }
}
