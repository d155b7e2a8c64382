/** Reading user input from flags: `--data JSON|@file|-` and `key=value` pairs. */
import {readFile} from 'node:fs/promises'

import type {Query} from '../api/client.js'
import {UsageError} from '../shared/errors.js'
import {registerSecret} from '../shared/secrets.js'

/** Everything on stdin, as bytes (signatures are over bytes, not text). */
export async function readStdinBytes(): Promise<Buffer> {
  if (process.stdin.isTTY) throw new UsageError('Nothing to read: stdin is a terminal', 'Pipe the input in, e.g. `echo ... | ummah ...`.')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export async function readStdin(): Promise<string> {
  return (await readStdinBytes()).toString('utf8')
}

/** The bytes of a `FILE|-` argument. */
export async function readFileArgument(path: string, flag: string): Promise<Buffer> {
  if (path === '-') return readStdinBytes()
  try {
    return await readFile(path)
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'Check the path.')
  }
}

/** The text behind a `JSON|@file|-` value. */
async function dataText(value: string, flag: string): Promise<string> {
  if (value === '-') return readStdin()
  if (value.startsWith('@')) {
    const file = value.slice(1)
    try {
      return await readFile(file, 'utf8')
    } catch (error) {
      throw new UsageError(`${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'Check the path after "@".')
    }
  }
  return value
}

/**
 * A secret flag's value (`--secret`, `--password`, `--token`, …): as given,
 * `@FILE` or `-` (stdin), trimmed, so it need not be typed on a command line;
 * registered, so no output shows it whole.
 */
export async function secretValue(value: string | undefined, flag: string): Promise<string | undefined> {
  if (value === undefined) return undefined
  const secret = (await dataText(value, flag)).trim()
  if (!secret) throw new UsageError(`${flag} is empty`, `Give the value, @FILE or - to read it from stdin.`)
  registerSecret(secret)
  return secret
}

/** Parses `--data JSON|@file|-`. */
export async function readData(value: string, flag = '--data'): Promise<unknown> {
  const text = await dataText(value, flag)
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new UsageError(`${flag} is not valid JSON: ${(error as Error).message}`, `Pass a JSON value, @file or - for stdin.`)
  }
}

/** Parses repeated `key=value` flags into a query; a repeated key becomes a list. */
export function parsePairs(pairs: readonly string[], flag: string): Query {
  const query: Record<string, string | string[]> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new UsageError(`${flag} "${pair}" is not key=value`, `Write it as ${flag} name=value.`)
    const key = pair.slice(0, at)
    const value = pair.slice(at + 1)
    const existing = query[key]
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value]
  }
  return query
}

/** `1,2,4,8`: seconds, comma-separated, as milliseconds. */
export function parseSecondsList(text: string, flag: string): number[] {
  const delays = text
    .split(',')
    .filter(Boolean)
    .map((part) => Number(part) * 1000)
  if (delays.some((delay) => !Number.isFinite(delay) || delay < 0))
    throw new UsageError(`${flag} "${text}" is not a list of seconds`, 'Write it like 1,2,4,8.')
  return delays
}
