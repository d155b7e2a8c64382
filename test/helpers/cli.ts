/** Runs the real binary (bin/run.js) with no terminal, an isolated config directory and no inherited Ummah settings. */
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  env?: Record<string, string | undefined>
  input?: string
  timeoutMs?: number
  cwd?: string
}

/** Temporary directories this test file made, removed after it (test/helpers/cleanup.ts): a run left ~300 under /tmp. */
const made: string[] = []

/** Long-running children a test file spawned (listeners, relays): killed when it ends, even when a test failed half-way. */
const children = new Set<import('node:child_process').ChildProcess>()

export function track<T extends import('node:child_process').ChildProcess>(child: T): T {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

export function killTracked(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  children.clear()
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, {recursive: true, force: true})
}

/** A fresh directory under the system's temporary folder, removed after the test file. */
export function tempDir(prefix = 'ummah-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

export function tempConfigDir(): string {
  return join(tempDir(), 'config')
}

/** A session bus address where there is none: the OS keychain is unavailable. */
export const NO_BUS = 'unix:path=/nonexistent/ummah-test-no-session-bus'

/**
 * The environment a CLI run gets: this process's, without inherited Ummah
 * settings or colour variables, with a fresh config directory and no session
 * bus (a run never touches a desktop's keychain unless a test brings its own
 * Secret Service, helpers/secret-service.ts), then `extra` (undefined: unset).
 */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env}
  for (const name of Object.keys(env))
    if (name.startsWith('UMMAH_') || ['NO_COLOR', 'FORCE_COLOR', 'CLICOLOR', 'CLICOLOR_FORCE'].includes(name)) delete env[name]
  // UMMAH_INSPECT_PORT=0: a listener's inspector takes any free port, never 4040 (test servers bind port 0).
  Object.assign(env, {UMMAH_CONFIG_DIR: tempConfigDir(), DBUS_SESSION_BUS_ADDRESS: NO_BUS, UMMAH_INSPECT_PORT: '0'}, extra)
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name]
  return env
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = cliEnv(options.env)

  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
    child.stdin.end(options.input ?? '')
  })
}
