/**
 * Help topics that are not commands (`ummah help exit-codes`, as gh has),
 * generated from the tables they describe so the text cannot drift: the
 * README's tables are the same generation (`npm run docs`;
 * test/cli/help-topics.test.ts fails when they differ).
 */
import {ERROR_CODES, EXIT_MEANINGS, type ErrorCode, ExitCode, type ExitKind} from '../shared/errors.js'
import {ENVIRONMENT, FORMATTING} from './help-tables.js'

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

/** A two-column Markdown table (the README's copy of a help table). */
function markdownTable(head: readonly [string, string], rows: ReadonlyArray<readonly [string, string]>): string {
  return [`| ${head[0]} | ${head[1]} |`, '|---|---|', ...rows.map(([left, right]) => `| ${left} | ${right} |`)].join('\n')
}

export const environmentMarkdown = () => markdownTable(['Variable', 'Effect'], ENVIRONMENT)
export const formattingMarkdown = () => markdownTable(['Where', 'What you get'], FORMATTING)

/** Markdown cell text as a terminal shows it: no backticks. */
const plain = (text: string) => text.replaceAll('`', '')

/** Words filled to `width` columns, each line indented. */
function wrap(text: string, indent: number, width = 80): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(' '.repeat(indent) + line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(' '.repeat(indent) + line)
  return lines
}

/** A help table for the terminal: each name on its line, what it means indented under it. */
function topicText(intro: string, rows: ReadonlyArray<readonly [string, string]>): string {
  const lines = [...wrap(intro, 0), '']
  for (const [name, text] of rows) lines.push(`  ${plain(name)}`, ...wrap(plain(text), 6), '')
  return lines.join('\n').trimEnd()
}

export const HELP_TOPICS: Record<string, () => string> = {
  'exit-codes': exitCodesText,
  environment: () => topicText('Environment variables ummah reads (a flag given on the command line wins over its variable):', ENVIRONMENT),
  formatting: () => topicText('How ummah formats its output, by where it goes and what you ask for:', FORMATTING),
}

/** The topic `ummah help TOPIC` names, if it is one of these. */
export function helpTopic(argv: string[]): string | undefined {
  return argv.length === 2 && argv[0] === 'help' && Object.hasOwn(HELP_TOPICS, argv[1]) ? HELP_TOPICS[argv[1]]() : undefined
}
