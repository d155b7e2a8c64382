/** What the terminal allows: colour, prompts. Decided once per command from the streams and the environment. */

export interface TerminalOptions {
  json: boolean
  /** The profile's `color` setting: auto (default), always or never. */
  color?: string
  env?: NodeJS.ProcessEnv
  stdin?: {isTTY?: boolean}
  stdout?: {isTTY?: boolean}
  stderr?: {isTTY?: boolean}
}

export interface Terminal {
  color: boolean
  interactive: boolean
  /** Spinners and progress bars on stderr. */
  progress: boolean
}

export function detectTerminal(options: TerminalOptions): Terminal {
  const env = options.env ?? process.env
  const stdoutTTY = Boolean((options.stdout ?? process.stdout).isTTY)
  const stdinTTY = Boolean((options.stdin ?? process.stdin).isTTY)
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== ''
  const color = options.json || noColor || options.color === 'never' ? false : options.color === 'always' || stdoutTTY
  const stderrTTY = Boolean((options.stderr ?? process.stderr).isTTY)
  return {color, interactive: !options.json && stdinTTY && stdoutTTY && !isCI(env), progress: !options.json && stderrTTY && !isCI(env)}
}

function isCI(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.CI && env.CI !== 'false' && env.CI !== '0')
}
