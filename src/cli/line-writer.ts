/**
 * Lines for a stream, written together once per turn of the event loop. A
 * busy listener prints two lines per event; one synchronous write each (stdout
 * on a pipe or file is synchronous) was a quarter of its CPU at thousands of
 * events a second. Lines keep their order and are at most one turn late.
 */
export interface LineWriter {
  write(line: string): void
  /** Writes what is pending now (before exiting). */
  flush(): void
}

export function lineWriter(stream: NodeJS.WritableStream): LineWriter {
  let pending: string[] = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (pending.length === 0) return
    const text = pending.join('')
    pending = []
    stream.write(text)
  }
  return {
    write(line) {
      pending.push(`${line}\n`)
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    flush,
  }
}
