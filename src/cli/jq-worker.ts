/**
 * The thread `--jq` filters run in (src/cli/jq.ts): the command waits for
 * each answer for a bounded time, so a filter that never ends (`repeat(1)`,
 * `def f: f; f`) is stopped with an error instead of hanging the command.
 */
import {type MessagePort, workerData} from 'node:worker_threads'

export interface JqJob {
  value: unknown
  expression: string
  args: string[]
}

const {port, signal} = workerData as {port: MessagePort; signal: Int32Array}
// No top-level await: the bundle is CommonJS (scripts/bundle.mjs). The port holds messages until it has a listener.
void (async () => {
  const {loadJq} = await import('jq-wasm/inline')
  const jq = await loadJq()
  port.on('message', ({value, expression, args}: JqJob) => {
    let answer
    try {
      answer = jq.raw(value === undefined ? null : (value as object), expression, args)
    } catch (error) {
      answer = {stdout: '', stderr: `jq: error: ${(error as Error).message}`, exitCode: 5}
    }
    port.postMessage(answer)
    Atomics.store(signal, 0, 1)
    Atomics.notify(signal, 0)
  })
})()
