/**
 * A real Secret Service for a test file: a private D-Bus session bus
 * (dbus-daemon) and gnome-keyring-daemon on it, unlocked with a test
 * password, its keyrings in a temporary directory. Nothing of the machine's
 * own session or keyrings is touched; both daemons stop with the file.
 * scripts/system-deps.sh installs dbus-daemon, gnome-keyring and secret-tool.
 */
import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {tempDir} from './cli.js'
import {until} from './wait.js'

export interface SecretService {
  /** What a process needs to reach it: DBUS_SESSION_BUS_ADDRESS. */
  env: Record<string, string>
  /** Every item under a service attribute, as secret-tool reports it: account (username) → secret. */
  items(service: string): Promise<Map<string, string>>
  stop(): Promise<void>
}

const run = promisify(execFile)

async function waitFor(child: ChildProcess, what: string, check: () => boolean | Promise<boolean>, output: () => string): Promise<void> {
  // The daemons start in well under a second here; 10 s is a failure, not slowness.
  const started = await until(async () => (await check()) || child.exitCode !== null, what, 10_000).then(
    () => child.exitCode === null,
    () => false,
  )
  if (!started || !(await check())) throw new Error(`${what} did not start (scripts/system-deps.sh installs it): ${output().slice(-500)}`)
}

export async function startSecretService(): Promise<SecretService> {
  const dir = tempDir('ummah-secrets-')
  const runtime = join(dir, 'run')
  mkdirSync(runtime, {mode: 0o700})
  const base = {
    ...process.env,
    XDG_RUNTIME_DIR: runtime,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
  }

  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', '--print-address=1'], {env: base, stdio: ['ignore', 'pipe', 'pipe']})
  let busOutput = ''
  bus.stdout!.on('data', (chunk: Buffer) => (busOutput += chunk.toString()))
  bus.stderr!.on('data', (chunk: Buffer) => (busOutput += chunk.toString()))
  bus.on('error', (error) => (busOutput += `\n${error.message}`))
  await waitFor(
    bus,
    'dbus-daemon',
    () => /^unix:\S+\n/.test(busOutput),
    () => busOutput,
  )
  const address = busOutput.split('\n')[0]
  const env = {...base, DBUS_SESSION_BUS_ADDRESS: address}

  // --unlock reads the password on stdin and creates the login keyring with it; --foreground keeps it our child.
  const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {env, stdio: ['pipe', 'pipe', 'pipe']})
  let keyringOutput = ''
  keyring.stdout!.on('data', (chunk: Buffer) => (keyringOutput += chunk.toString()))
  keyring.stderr!.on('data', (chunk: Buffer) => (keyringOutput += chunk.toString()))
  keyring.on('error', (error) => (keyringOutput += `\n${error.message}`))
  keyring.stdin!.end('ummah-test-password')
  // Until it owns org.freedesktop.secrets, a client would have D-Bus start a second, locked daemon.
  const owned = async () => {
    const {stdout} = await run(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.NameHasOwner',
        'string:org.freedesktop.secrets',
      ],
      {env},
    ).catch(() => ({stdout: ''}))
    return /boolean true/.test(stdout)
  }
  await waitFor(keyring, 'gnome-keyring-daemon', owned, () => keyringOutput)

  const stopChild = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  return {
    env: {DBUS_SESSION_BUS_ADDRESS: address},
    items: async (service) => {
      const {stdout, stderr} = await run('secret-tool', ['search', '--all', '--unlock', 'service', service], {env}).catch(
        (error: {stdout?: string; stderr?: string}) => ({stdout: error.stdout ?? '', stderr: error.stderr ?? ''}),
      )
      const items = new Map<string, string>()
      // secret-tool prints each item's secret on stdout and its attributes on stderr, item by item, in the same order.
      const secrets = [...stdout.matchAll(/^secret = (.*)$/gm)].map((match) => match[1])
      const accounts = [...`${stdout}\n${stderr}`.matchAll(/^attribute\.username = (.*)$/gm)].map((match) => match[1])
      accounts.forEach((account, index) => items.set(account, secrets[index]))
      return items
    },
    stop: async () => {
      await stopChild(keyring)
      await stopChild(bus)
    },
  }
}
