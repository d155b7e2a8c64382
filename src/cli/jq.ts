/**
 * `--jq EXPR`: the JSON a command prints, filtered by real jq (jq 1.8 built
 * for WebAssembly, the `jq-wasm` package). It is 1.3 MB of code, so it is a
 * chunk of its own, imported only when the flag is given; it loads in ~15 ms
 * and filters 125 kB in ~35 ms (the 1.x package it replaces took 1.9 s:
 * it copied its buffers once per byte).
 *
 * As in `gh --jq`: strings print raw, other values as JSON, indented on a
 * terminal and one per line when piped. The expression is compiled before the
 * command sends anything, so a typo costs no request, and only compiled: it
 * is checked inside a branch that never runs (`if false then (EXPR) else
 * empty end`), so a filter that loops (`repeat(1)`, `def f: f; f`) or reads
 * input cannot hang a command before its request.
 */
import {UmmahError, UsageError} from '../shared/errors.js'

export interface JqOutput {
  /** What the filter printed, without a trailing newline; '' when it selected nothing. */
  text: string
  /** Set when the filter failed on this input (after printing `text`). */
  error?: UmmahError
}

export interface JqFilter {
  apply(value: unknown, options: {indent: boolean}): JqOutput
}

/** jq's stderr as one line: `jq: error (at /dev/stdin:0): Cannot iterate over null` → `Cannot iterate over null`. */
function firstLine(stderr: string): string {
  const line = stderr.split('\n').find((text) => text.trim() !== '') ?? 'jq failed'
  return line.replace(/^jq: error(?: \(at [^)]*\))?: /, '').trim()
}

// jq's own exit status for an expression that does not compile.
const JQ_COMPILE_ERROR = 3

/**
 * How long one filter may run: jq over the largest API answer (64 MiB) takes
 * seconds; a filter still running after 10 s loops. UMMAH_JQ_TIMEOUT_MS
 * shortens it (tests).
 */
const JQ_TIMEOUT_MS = 10_000

interface JqAnswer {
  stdout: string
  stderr: string
  exitCode: number
}

/**
 * jq in a worker thread, asked synchronously (the command's JSON output is
 * synchronous): the job is posted, this thread waits on a shared flag for at
 * most the bound, and reads the answer from the port. A filter that does not
 * answer in time ends its worker; the next call starts another.
 */
class JqRunner {
  private worker?: import('node:worker_threads').Worker
  private port?: import('node:worker_threads').MessagePort
  private readonly signal = new Int32Array(new SharedArrayBuffer(4))

  constructor(
    private readonly threads: typeof import('node:worker_threads'),
    private readonly timeoutMs: number,
  ) {}

  run(value: unknown, expression: string, args: string[]): JqAnswer {
    if (!this.worker) {
      const {port1, port2} = new this.threads.MessageChannel()
      this.worker = new this.threads.Worker(new URL('./jq-worker.js', import.meta.url), {
        workerData: {port: port2, signal: this.signal},
        transferList: [port2],
      })
      this.worker.unref()
      this.port = port1
    }
    Atomics.store(this.signal, 0, 0)
    this.port!.postMessage({value, expression, args})
    if (Atomics.wait(this.signal, 0, 0, this.timeoutMs) === 'timed-out') {
      void this.worker.terminate()
      this.port!.close()
      this.worker = undefined
      throw new UmmahError(`--jq: the filter ran for ${this.timeoutMs / 1000} s without finishing, and was stopped`, {
        code: 'jq_timeout',
        hint: 'Check the expression for a loop (repeat, recurse, a def that calls itself).',
      })
    }
    return this.threads.receiveMessageOnPort(this.port!)!.message as JqAnswer
  }
}

export async function compileJq(expression: string): Promise<JqFilter> {
  if (expression.trim() === '') throw new UsageError('--jq: the expression is empty', 'Give one, e.g. --jq .id (or leave --jq out).')
  const timeoutMs = Number(process.env.UMMAH_JQ_TIMEOUT_MS) > 0 ? Number(process.env.UMMAH_JQ_TIMEOUT_MS) : JQ_TIMEOUT_MS
  const jq = new JqRunner(await import('node:worker_threads'), timeoutMs)
  const probe = jq.run(null, `if false then (${expression}\n) else empty end`, ['-n', '-c'])
  if (probe.exitCode !== 0) {
    // An expression that does not compile does not run either: compiled alone, jq names the problem where it is.
    const alone = jq.run(null, expression, ['-n', '-c'])
    throw new UsageError(
      `--jq: ${firstLine(alone.exitCode === JQ_COMPILE_ERROR ? alone.stderr : probe.stderr)}`,
      "Quote the expression for your shell, e.g. --jq '.results[].id'.",
    )
  }
  return {
    apply(value, {indent}) {
      let result: JqAnswer
      try {
        result = jq.run(value === undefined ? null : value, expression, indent ? ['-r'] : ['-r', '-c'])
      } catch (error) {
        return {text: '', error: error as UmmahError}
      }
      const text = result.stdout.replace(/\n$/, '')
      if (result.exitCode === 0) return {text}
      const error = new UmmahError(`--jq: ${firstLine(result.stderr)}`, {
        code: 'jq_failed',
        hint: 'Check the expression against the output of --json.',
      })
      return {text, error}
    },
  }
}
