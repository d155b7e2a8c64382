/** The real binary against the shared sandbox, each test file with an account (key) of its own. */
import {randomBytes} from 'node:crypto'
import {expect, inject} from 'vitest'

import {type CliResult, runCli} from '../helpers/cli.js'

export {BRAND} from '../sandbox/helpers.js'

export interface Ummah {
  (args: string[], options?: {env?: Record<string, string>; input?: string}): Promise<CliResult>
  /** Runs with --json, expects exit 0 and returns the parsed stdout. */
  json<T = any>(args: string[]): Promise<T>
  key: string
}

export function sandboxCli(): Ummah {
  const key = `sk_test_e2e_${randomBytes(6).toString('hex')}`
  const run = ((args: string[], options: {env?: Record<string, string>; input?: string} = {}) =>
    runCli(args, {env: {UMMAH_API_BASE: inject('sandboxApiBase'), UMMAH_SECRET_KEY: key, ...options.env}, input: options.input})) as Ummah
  run.key = key
  run.json = async (args) => {
    const result = await run([...args, '--json'])
    expect(result.stderr, `ummah ${args.join(' ')}`).toBe('')
    expect(result.code, `ummah ${args.join(' ')}: ${result.stdout}`).toBe(0)
    return JSON.parse(result.stdout)
  }
  return run
}

/** A human-form run that must succeed, as a terminal shows it (UMMAH_FORCE_TTY, no colour); its stdout. */
export function human(ummah: Ummah, args: string[]): Promise<string> {
  return succeeded(ummah, args, {UMMAH_FORCE_TTY: '1', NO_COLOR: '1'})
}

/** A run that must succeed, its stdout piped as a script reads it (raw rows and `path<TAB>value` lines). */
export function piped(ummah: Ummah, args: string[]): Promise<string> {
  return succeeded(ummah, args, {})
}

async function succeeded(ummah: Ummah, args: string[], env: Record<string, string>): Promise<string> {
  const result = await ummah(args, {env})
  expect(result.code, `ummah ${args.join(' ')}: ${result.stderr}`).toBe(0)
  return result.stdout
}

/** The value on the first `key  value` line of a key/value view at any depth, or the `key<TAB>value` line of a piped one. */
export function field(view: string, key: string): string | undefined {
  return new RegExp(`^(?: *${key}\\s{2,}(.+)|${key}\\t(.*))$`, 'm')
    .exec(view)
    ?.slice(1)
    .find((value) => value !== undefined)
    ?.trim()
}
