/** `sandbox start`'s flags (kept here so the command stays a summary, examples and a run()). */
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {dataDir} from '../config/store.js'
import {writeFileAtomic} from '../shared/atomic-file.js'
import {LOCAL_HOST, SANDBOX_PORT} from '../shared/defaults.js'

export const sandboxStartFlags = {
  port: Flags.integer({summary: 'Port to listen on; 0 picks a free one.', default: SANDBOX_PORT, min: 0, max: 65_535}),
  host: Flags.string({summary: 'Address to listen on.', default: LOCAL_HOST}),
  'data-file': Flags.string({
    summary: 'Keep state in this file across restarts (written atomically). Default: sandbox.json in the data directory (UMMAH_DATA_DIR).',
    exclusive: ['ephemeral'],
  }),
  ephemeral: Flags.boolean({summary: 'Keep state in memory only: every start is a fresh sandbox (for CI).', exclusive: ['data-file']}),
  merchant: Flags.string({summary: 'The merchant name the checkout and invoice pages show.', default: 'Sandbox Store'}),
  'retry-schedule': Flags.string({summary: 'Seconds to wait before each webhook retry, comma-separated.', default: '1,2,4,8,16'}),
  'statement-delay': Flags.integer({summary: 'Seconds a statement stays processing (0 to 86400).', default: 2, min: 0, max: 86_400}),
  helpers: Flags.boolean({
    summary: 'Serve the /_sandbox/ helpers (pay, advance, reset); --no-helpers answers 404 there, like the real gateway.',
    default: true,
    allowNo: true,
  }),
  'ready-file': Flags.string({
    summary: 'Write {"api_base", "origin", "pid"} to this file once listening (removed at exit), for scripts that wait for it.',
  }),
  'time-scale': Flags.integer({
    summary: "Run webhook retry schedules this many times faster (a webhook's sandbox_delivery.retry_policy hourly-3d takes 3.6 s at 72000).",
    default: 1,
    min: 1,
    max: 1_000_000,
  }),
}

/**
 * Where the sandbox keeps its state: none with --ephemeral, --data-file, else
 * sandbox.json in the data directory (made 0700: the state holds each
 * webhook's private key), so a restart keeps keys, webhooks and objects.
 */
export function sandboxDataFile(flags: {ephemeral?: boolean; 'data-file'?: string}): string | undefined {
  if (flags.ephemeral) return undefined
  if (flags['data-file']) return flags['data-file']
  const directory = dataDir()
  mkdirSync(directory, {recursive: true, mode: 0o700})
  return join(directory, 'sandbox.json')
}

/**
 * Says the sandbox is ready: the ready file for CI (written once listening),
 * then one JSON line, or the lines a person reads.
 */
export function announceSandbox(
  sandbox: {apiBase: string; origin: string},
  options: {dataFile?: string; readyFile?: string; jsonLine?: (value: unknown) => string; print: (text: string) => void},
): void {
  const {dataFile, readyFile, jsonLine, print} = options
  if (readyFile) writeFileAtomic(readyFile, `${JSON.stringify({api_base: sandbox.apiBase, origin: sandbox.origin, pid: process.pid})}\n`)
  const ready = {
    ready: true,
    api_base: sandbox.apiBase,
    key: 'sk_test_sandbox (or any sk_test_* key: each is its own account)',
    data_file: dataFile ?? null,
  }
  if (jsonLine) print(jsonLine(ready))
  else
    print(
      `Sandbox listening on ${sandbox.apiBase}\nUse any sk_test_* key; each key is its own account (the "sandbox" profile uses sk_test_sandbox).\n${dataFile ? `State: ${dataFile}` : 'State: in memory (--ephemeral)'}\nReady. Press Ctrl-C to stop.`,
    )
}
