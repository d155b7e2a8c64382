/**
 * The real command line run inside the test's own process: the built bundle
 * (dist/bundle/ummah.js) through launch() and oclif, as bin/run.js runs it,
 * with the environment runCli() would give a child, stdout and stderr
 * captured and the exit code read back. For the many short runs that need no
 * process of their own (usage errors, path checks, rendering): ~5 ms each
 * instead of ~300 ms for a spawn. Runs are serialised (they share the
 * process's environment and streams); commands that read stdin, prompt, or
 * keep running (listen, sandbox start, relay start) stay with runCli().
 */
import {join} from 'node:path'
import {format} from 'node:util'
import {pathToFileURL} from 'node:url'

import {type CliOptions, type CliResult, ROOT, cliEnv} from './cli.js'

type Run = (argv: string[], binUrl: string) => Promise<void>

const BIN_URL = pathToFileURL(join(ROOT, 'bin', 'run.js')).href

/** Where the streams write while a run is under way; undefined between runs (then they write as before). */
let sink: {stdout: string[]; stderr: string[]} | undefined
let installed = false
/** Runs one at a time: they share the process's environment and streams. */
let queue: Promise<unknown> = Promise.resolve()
let bundle: Promise<Run> | undefined

/**
 * Each stream's write goes to the sink during a run. Installed once, before
 * the first run installs the CLI's output guard, so the guard (masking,
 * escaping) wraps it exactly as it wraps the real stream.
 */
function install(): void {
  if (installed) return
  installed = true
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name]
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (!sink) return write(chunk, ...rest)
      sink[name].push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'))
      const callback = rest.find((item): item is () => void => typeof item === 'function')
      callback?.()
      return true
    }) as typeof stream.write
  }
}

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`)
  }
}

async function runOnce(args: string[], options: CliOptions): Promise<CliResult> {
  if (options.input !== undefined) throw new Error('runInProcess: a run that reads stdin needs runCli()')
  install()
  bundle ??= import(pathToFileURL(join(ROOT, 'dist', 'bundle', 'ummah.js')).href).then((module: {run: Run}) => module.run)
  const run = await bundle
  const saved = {...process.env}
  const savedExit = process.exit
  const savedCwd = process.cwd()
  // The environment runCli() gives a child: no inherited Ummah settings, a fresh config directory, no session bus.
  const env = cliEnv(options.env)
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name]
  Object.assign(process.env, env)
  if (options.cwd) process.chdir(options.cwd)
  process.exitCode = undefined
  process.exit = ((code?: number) => {
    throw new ExitCalled(code ?? Number(process.exitCode ?? 0))
  }) as typeof process.exit
  // oclif's flush() leaves a 'drain' listener on stdout after every run (a process would exit): removed after each.
  const drainBefore = new Set(process.stdout.listeners('drain'))
  const captured = {stdout: [] as string[], stderr: [] as string[]}
  sink = captured
  // The test runner replaces console; a process's console writes to its streams (oclif's help prints with console.log).
  const savedConsole = {log: console.log, info: console.info, warn: console.warn, error: console.error}
  console.log = console.info = (...items: unknown[]) => void process.stdout.write(`${format(...items)}\n`)
  console.warn = console.error = (...items: unknown[]) => void process.stderr.write(`${format(...items)}\n`)
  let code: number
  try {
    await run(args, BIN_URL)
    code = Number(process.exitCode ?? 0)
  } catch (error) {
    if (!(error instanceof ExitCalled)) throw error
    code = error.code
  } finally {
    sink = undefined
    Object.assign(console, savedConsole)
    for (const listener of process.stdout.listeners('drain')) if (!drainBefore.has(listener)) process.stdout.off('drain', listener as () => void)
    process.exit = savedExit
    process.exitCode = undefined
    if (options.cwd) process.chdir(savedCwd)
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
  }
  return {code, stdout: captured.stdout.join(''), stderr: captured.stderr.join('')}
}

/** Like runCli(), in this process: the same arguments, environment and result. */
export function runInProcess(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = queue.then(() => runOnce(args, options))
  queue = result.catch(() => undefined)
  return result
}
