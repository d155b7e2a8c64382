/** What the terminal allows: colour, prompts. Decided once per command from the streams and the environment. */

export interface TerminalOptions {
  json: boolean
  /** `--no-input`: never prompt (UMMAH_NO_INPUT=1 says the same from the environment). */
  noInput?: boolean
  /** `--quiet`: no spinners or progress bars. */
  quiet?: boolean
  /** The profile's `color` setting: auto (default), always or never. */
  color?: string
  env?: NodeJS.ProcessEnv
  stdin?: {isTTY?: boolean}
  stdout?: {isTTY?: boolean}
  stderr?: {isTTY?: boolean}
}

export interface Terminal {
  /** Views for people (tables, key/value, money formatted) on stdout: a terminal, or UMMAH_FORCE_TTY. Else raw values for scripts. */
  human: boolean
  color: boolean
  interactive: boolean
  /** Spinners and progress bars on stderr. */
  progress: boolean
}

export function detectTerminal(options: TerminalOptions): Terminal {
  const env = options.env ?? process.env
  const stdoutTTY = Boolean((options.stdout ?? process.stdout).isTTY)
  const stdinTTY = Boolean((options.stdin ?? process.stdin).isTTY)
  // As gh's GH_FORCE_TTY: terminal-style output into a pipe (`| less -R`); prompts still need a real terminal.
  const human = stdoutTTY || set(env.UMMAH_FORCE_TTY)
  const color = !options.json && colorWanted(env, options.color, human)
  const stderrTTY = Boolean((options.stderr ?? process.stderr).isTTY)
  const prompts = !promptsForbidden(env, options.noInput) && !isCI(env)
  return {
    human,
    color,
    interactive: !options.json && stdinTTY && stdoutTTY && prompts,
    progress: !options.json && !options.quiet && stderrTTY && !isCI(env),
  }
}

/**
 * The columns a table for people fits: the terminal's, else `COLUMNS` (a view
 * forced into a pipe with UMMAH_FORCE_TTY), else none (not fitted).
 */
export function terminalWidth(stream: {isTTY?: boolean; columns?: number}, env: NodeJS.ProcessEnv): number | undefined {
  if (stream.isTTY && stream.columns) return stream.columns
  const columns = Number(env.COLUMNS)
  return Number.isInteger(columns) && columns > 0 ? columns : undefined
}

const set = (value: string | undefined) => value !== undefined && value !== ''
const truthy = (value: string | undefined) => set(value) && value !== '0' && value !== 'false'

/**
 * Colour as `gh` decides it, for this invocation first: `NO_COLOR` (any
 * value) turns it off; `CLICOLOR_FORCE=1` or `FORCE_COLOR` forces it, even
 * piped; `CLICOLOR=0`, `FORCE_COLOR=0` and `TERM=dumb` turn it off; then the
 * profile's `color` setting; else colour only on a terminal.
 */
export function colorWanted(env: NodeJS.ProcessEnv, setting: string | undefined, tty: boolean): boolean {
  if (set(env.NO_COLOR)) return false
  if (truthy(env.CLICOLOR_FORCE) || truthy(env.FORCE_COLOR)) return true
  if (env.CLICOLOR === '0' || env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false' || env.TERM === 'dumb') return false
  if (setting === 'never') return false
  if (setting === 'always') return true
  return tty
}

/** `--no-input`, or UMMAH_NO_INPUT set (not 0/false): nothing is asked, even on a terminal. */
export function promptsForbidden(env: NodeJS.ProcessEnv, flag = false): boolean {
  return flag || truthy(env.UMMAH_NO_INPUT)
}

/** Whether an update notice may be shown (cli/update-notice.ts): a person at a terminal, not CI, not UMMAH_NO_UPDATE_NOTIFIER. */
export function updateNoticeAllowed(env: NodeJS.ProcessEnv, stdoutTTY: boolean, stderrTTY: boolean): boolean {
  return stdoutTTY && stderrTTY && !isCI(env) && !truthy(env.UMMAH_NO_UPDATE_NOTIFIER)
}

export function isCI(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.CI && env.CI !== 'false' && env.CI !== '0')
}

/** Resolves with the signal (Ctrl-C or SIGTERM) that asks a long-running command to stop. */
export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
}
