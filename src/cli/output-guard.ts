/**
 * The one place that keeps secrets out of output: stdout and stderr of the
 * process mask every registered secret in every string written (results,
 * `--json`, errors, `--debug` traces, listener lines), whatever wrote it. A
 * gateway that echoes the key back (`The key sk_test_… is revoked`) is thus
 * masked without each message path having to remember. Buffers (a statement
 * file streamed to stdout) pass untouched.
 */
import {redactKnown} from '../shared/secrets.js'

let guarded = false

export function guardOutput(): void {
  if (guarded) return
  guarded = true
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
    stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? redactKnown(chunk) : chunk, ...rest)) as typeof stream.write
  }
}
