// Loader hooks for trace-imports.mjs (they run on the loader thread).
import {appendFileSync} from 'node:fs'

let traceFile

export function initialize(data) {
  traceFile = data.file
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context)
  appendFileSync(traceFile, `${result.url}\n`)
  return result
}
