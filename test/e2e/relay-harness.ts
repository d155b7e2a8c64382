/** The pieces of an `ummah relay` end-to-end test: a spawned relay (its NDJSON read), its admin API, and what a process has listening. */
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {readFileSync, readdirSync, readlinkSync} from 'node:fs'
import {join} from 'node:path'

import {ROOT, tempDir, track} from '../helpers/cli.js'
import {until} from './listen-harness.js'

export const ADMIN_TOKEN = 'relay-admin-token-for-tests-0123456789'

/** A running `ummah relay start --json`. */
export class RelayProcess {
  lines: Array<Record<string, any>> = []
  readonly child: ChildProcessWithoutNullStreams
  readonly exited: Promise<number | null>
  stderr = ''
  private readonly grouped: boolean

  constructor(args: string[], env: Record<string, string> = {}, exec: string[] = []) {
    const command = [...exec, process.execPath, join(ROOT, 'bin', 'run.js'), 'relay', 'start', '--json', ...args]
    this.grouped = exec.length > 0
    // Its own process group: under a prefix (faketime forks the relay and waits), stopping the group stops the relay too, not just the prefix.
    this.child = track(
      spawn(command[0], command.slice(1), {env: {...process.env, UMMAH_RELAY_TOKEN: ADMIN_TOKEN, ...env}, detached: exec.length > 0}),
    )
    let buffer = ''
    this.child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      let newline: number
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const text = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        // An error under --json is one indented object over several lines: kept as text for the failure message.
        try {
          this.lines.push(JSON.parse(text))
        } catch {
          this.stderr += `${text}\n`
        }
      }
    })
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString()
      process.stderr.write(`[relay] ${chunk}`)
    })
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)))
  }

  /** The URL it listens on, once ready. */
  async ready(): Promise<string> {
    const line = await until(
      () =>
        this.lines.find((each) => each.type === 'ready') ??
        (this.child.exitCode !== null && Promise.reject(new Error(`relay exited: ${this.stderr}`))),
      'the relay to be ready',
      20_000,
    )
    return line.url as string
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      if (this.grouped) process.kill(-this.child.pid!, signal)
      else this.child.kill(signal)
    }
    return this.exited
  }
}

/** Calls the relay's admin API. */
export async function admin(relay: string, method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<{status: number; body: any}> {
  const response = await fetch(`${relay}${path}`, {
    method,
    headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return {status: response.status, body: text ? JSON.parse(text) : undefined}
}

/** The TCP ports a process listens on (from /proc/net/tcp and tcp6: sockets in state LISTEN whose inode the process holds). */
/** What a `listen --relay` may listen on: its inspector's port on 127.0.0.1 (test/e2e/inspector.test.ts checks it binds nothing else), and no receiver. */
export const inspectorPort = (ready: {inspector?: string}): number[] => [
  Number(new URL(ready.inspector ?? '(no inspector URL in the ready line)').port),
]

export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      const match = /^socket:\[(\d+)\]$/.exec(target)
      if (match) inodes.add(match[1])
    } catch {
      // Closed meanwhile.
    }
  }
  const ports: number[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const row of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = row.trim().split(/\s+/)
      // fields: sl local_address rem_address st … inode (index 9); st 0A is LISTEN.
      if (fields[3] === '0A' && inodes.has(fields[9])) ports.push(Number.parseInt(fields[1].split(':')[1], 16))
    }
  }
  return ports
}

/** How many sockets the process holds at all (it must hold some: the WebSocket out). */
export function socketCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')
    } catch {
      return false
    }
  }).length
}

/** A relay on the embedded store that can be killed and started again on the same port and data (optionally under a command prefix, e.g. faketime). */
export async function restartableRelay(): Promise<{
  relay: () => RelayProcess
  url: string
  restart: (env?: Record<string, string>, exec?: string[]) => Promise<void>
}> {
  const dataDir = tempDir('ummah-relay-')
  let relay = new RelayProcess(['--port', '0', '--data-dir', dataDir])
  const url = await relay.ready()
  const port = new URL(url).port
  return {
    relay: () => relay,
    url,
    async restart(env = {}, exec = []) {
      await relay.stop('SIGKILL')
      relay = new RelayProcess(['--port', port, '--data-dir', dataDir], env, exec)
      await relay.ready()
    },
  }
}

/** The number of the relay entry a listener's saved cursor stands at (its state file under `configDir`), if it saved one. */
export function savedSeq(configDir: string): number | undefined {
  const dir = join(configDir, 'listen')
  for (const name of readdirSync(dir).filter((each) => each.endsWith('.json'))) {
    const state = JSON.parse(readFileSync(join(dir, name), 'utf8')) as {relay?: {cursor_seq?: number}}
    if (state.relay) return state.relay.cursor_seq
  }
  return undefined
}
