/**
 * Help topics that are not commands (`ummah help exit-codes`, as gh has),
 * generated from the tables they describe so the text cannot drift: the
 * README's exit-code table is the same generation (test/cli/help-topics.test.ts).
 */
import {ERROR_CODES, EXIT_MEANINGS, type ErrorCode, ExitCode, type ExitKind} from '../shared/errors.js'

interface ExitRow {
  exit: number
  meaning: string
  codes: ErrorCode[]
}

/** One row per exit code, with the error codes (`error.code` under --json) that end a run with it. */
export function exitCodeRows(): ExitRow[] {
  const kinds = Object.keys(ExitCode) as ExitKind[]
  return kinds.map((kind) => ({
    exit: ExitCode[kind],
    meaning: EXIT_MEANINGS[kind],
    // `exit` is oclif's own quiet exit after --help: never shown to anyone.
    codes: (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => ERROR_CODES[code] === kind && code !== 'exit'),
  }))
}

/** The README's table (between its `exit-codes` markers). */
export function exitCodesMarkdown(): string {
  const lines = ['| Exit | Meaning | `error.code` under `--json` |', '|---|---|---|']
  for (const row of exitCodeRows()) lines.push(`| ${row.exit} | ${row.meaning} | ${row.codes.map((code) => `\`${code}\``).join(', ')} |`)
  return lines.join('\n')
}

function exitCodesText(): string {
  const lines = [
    'Exit codes of ummah. With --json, a failure prints {"error": {"code": …}} on stdout; each code',
    'below ends the run with the exit code it is listed under.',
    '',
  ]
  for (const row of exitCodeRows()) {
    lines.push(`  ${String(row.exit).padEnd(4)} ${row.meaning}`)
    if (row.codes.length > 0) lines.push(`       ${row.codes.join(', ')}`)
  }
  return lines.join('\n')
}

export const HELP_TOPICS: Record<string, () => string> = {
  'exit-codes': exitCodesText,
}

/** The topic `ummah help TOPIC` names, if it is one of these. */
export function helpTopic(argv: string[]): string | undefined {
  return argv.length === 2 && argv[0] === 'help' && Object.hasOwn(HELP_TOPICS, argv[1]) ? HELP_TOPICS[argv[1]]() : undefined
}
