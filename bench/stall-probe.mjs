// Loaded into each of the bench's processes (`--import`) when BENCH_LATENCY_DUMP is set: writes what held the
// process up, with wall-clock times, to DIR/probe-PID.ndjson, so a slow paced event can be set beside it. Light: one
// 10 ms timer (monitorEventLoopDelay) and a 100 ms one; the loop's delay is reported per 100 ms window.
import {appendFileSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {PerformanceObserver, monitorEventLoopDelay, performance} from 'node:perf_hooks'

const dir = process.env.BENCH_LATENCY_DUMP
if (dir) {
  const file = `${dir}/probe-${process.pid}.ndjson`
  const lines = []
  const now = () => performance.timeOrigin + performance.now()
  const flush = () => lines.length > 0 && appendFileSync(file, `${lines.splice(0).join('\n')}\n`)
  // A kind, its start (ms since the epoch) and how long it lasted (ms).
  const record = (kind, at, ms) => lines.push(JSON.stringify({kind, at: Math.round(at), ms: Math.round(ms * 100) / 100}))
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.duration > 3) record('gc', performance.timeOrigin + entry.startTime, entry.duration)
  }).observe({entryTypes: ['gc']})
  const delay = monitorEventLoopDelay({resolution: 10})
  delay.enable()
  setInterval(() => {
    // The timer's own 10 ms are not a stall; over 5 ms more, the loop was held within this window.
    const held = delay.max / 1e6 - 10
    if (held > 5) record('loop', now() - 100, 100)
    delay.reset()
    flush()
  }, 100).unref()
  // Every FileHandle's writes and syncs (the spools' and stores' O_DSYNC appends go through them): those over 5 ms.
  open('/dev/null').then(async (handle) => {
    const prototype = Object.getPrototypeOf(handle)
    await handle.close()
    for (const name of ['write', 'writev', 'datasync', 'sync']) {
      const original = prototype[name]
      prototype[name] = async function (...args) {
        const at = now()
        try {
          return await original.apply(this, args)
        } finally {
          if (now() - at > 5) record('write', at, now() - at)
        }
      }
    }
  })
  process.on('exit', flush)
}
