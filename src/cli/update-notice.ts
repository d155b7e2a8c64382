/**
 * "A new release of ummah is available", as gh says it: after the command's
 * own output, on stderr, at most once a day, only for a person at a terminal
 * (stdout and stderr both terminals, not CI, not UMMAH_NO_UPDATE_NOTIFIER).
 * It never delays a command: the registry is asked by a detached process at
 * most once a day, and what it found is shown by a later run. State:
 * `update-check.json` in the state directory.
 */
import {spawn} from 'node:child_process'
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {stateDir} from '../config/store.js'

const DAY_MS = 86_400_000

interface UpdateState {
  checked_at?: number
  latest?: string
  notified_at?: number
}

/** `1.10.0` > `1.9.3`; a pre-release (`2.0.0-beta.1`) is never offered. */
export function isNewer(latest: string, current: string): boolean {
  const parse = (version: string) => (/^\d+\.\d+\.\d+$/.test(version) ? version.split('.').map(Number) : undefined)
  const [next, now] = [parse(latest), parse(current)]
  if (!next || !now) return false
  for (let index = 0; index < 3; index++) if (next[index] !== now[index]) return next[index] > now[index]
  return false
}

/**
 * The detached checker: asks `REGISTRY/NAME/latest` (5 s at most) and records
 * the version in the state file; any failure leaves it as it was.
 */
const CHECKER = `
const [url, file] = process.argv.slice(1)
const fs = require('node:fs')
fetch(url, {signal: AbortSignal.timeout(5000), headers: {accept: 'application/json'}})
  .then((response) => (response.ok ? response.json() : undefined))
  .then((body) => {
    if (!body || typeof body.version !== 'string' || body.version.length > 64) return
    let state = {}
    try { state = JSON.parse(fs.readFileSync(file, 'utf8')) } catch {}
    fs.writeFileSync(file + '.tmp', JSON.stringify({...state, latest: body.version}), {mode: 0o600})
    fs.renameSync(file + '.tmp', file)
  })
  .catch(() => {})
`

function save(file: string, state: UpdateState): void {
  writeFileSync(`${file}.${process.pid}`, JSON.stringify(state), {mode: 0o600})
  renameSync(`${file}.${process.pid}`, file)
}

/** After a command: the notice if one is due, and a check started if the last is a day old. Never throws. */
export function afterCommand(options: {name: string; version: string; env?: NodeJS.ProcessEnv; now?: number; stderr?: NodeJS.WritableStream}): void {
  const env = options.env ?? process.env
  const now = options.now ?? Date.now()
  try {
    const dir = stateDir(env)
    const file = join(dir, 'update-check.json')
    let state: UpdateState = {}
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as UpdateState
    } catch {
      // None yet, or damaged: a fresh start.
    }
    if (state.latest && isNewer(state.latest, options.version) && !(now - (state.notified_at ?? 0) < DAY_MS)) {
      ;(options.stderr ?? process.stderr).write(
        `\nA new release of ${options.name} is available: ${options.version} → ${state.latest}\nTo upgrade: npm install -g ${options.name}@latest\n`,
      )
      state = {...state, notified_at: now}
    }
    const due = !(now - (state.checked_at ?? 0) < DAY_MS)
    // Written before the check starts, so runs at the same moment do not all start one.
    if (due) state = {...state, checked_at: now}
    mkdirSync(dir, {recursive: true, mode: 0o700})
    save(file, state)
    if (due) {
      const registry = (env.npm_config_registry || 'https://registry.npmjs.org/').replace(/\/?$/, '/')
      const child = spawn(process.execPath, ['-e', CHECKER, `${registry}${options.name}/latest`, file], {detached: true, stdio: 'ignore', env})
      child.on('error', () => {})
      child.unref()
    }
  } catch {
    // A read-only home or a full disk costs the notice, never the command.
  }
}
