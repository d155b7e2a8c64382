#!/usr/bin/env node
// Man pages from the committed oclif.manifest.json (run by `npm run build`, after `npm run compile`):
// ummah(1) with every command, the environment and the exit codes (the same tables as the README and
// `ummah help environment|exit-codes`), and one page per command, ummah-purchases-create(1).
// Usage: node scripts/man.mjs [OUTDIR]   (default man/man1, and package.json's "man" list: `npm pack` ships
// them, `npm install -g` links them into PREFIX/share/man)
import {mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

const root = new URL('..', import.meta.url).pathname
const out = process.argv[2] ?? join(root, 'man', 'man1')
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const {ENVIRONMENT} = await import(join(root, 'dist', 'cli', 'help-tables.js'))
const {exitCodeRows} = await import(join(root, 'dist', 'cli', 'help-topics.js'))
const bin = pkg.oclif.bin

/** Text as roff reads it: backslashes written \e, a line never starting with a control character, Markdown code as bold. */
function text(value) {
  return String(value ?? '')
    .replaceAll('\\', '\\e')
    .replaceAll('<%= config.bin %>', bin)
    .replaceAll(/`([^`]+)`/g, '\\fB$1\\fR')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n')
}
/** An option name: roff's \- keeps the dash a dash when copied. */
const dashes = (value) => text(value).replaceAll('-', '\\-')
const pageName = (id) => `${bin}-${id.replaceAll(':', '-')}`
const words = (id) => id.replaceAll(':', ' ')
const month = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? 0) * 1000 || Date.now()).toISOString().slice(0, 7)
// `.ad l`: ragged right, as most man pages read; no stretched lines around long URLs and ids.
const header = (name, summary) => [
  `.TH "${name.toUpperCase()}" "1" "${month}" "${bin} ${pkg.version}" "User Commands"`,
  '.ad l',
  '.SH NAME',
  `${name} \\- ${text(summary)}`,
]

function flagLine(name, flag) {
  // A long list of choices is too wide for the tag; the text under it lists them ("One of: …").
  const choices = flag.options?.join('|')
  const value = flag.type === 'option' ? ` \\fI${text(flag.helpValue ?? (choices && choices.length <= 30 ? choices : 'value'))}\\fR` : ''
  const long = `\\fB\\-\\-${dashes(name)}\\fR${value}`
  return flag.char ? `\\fB\\-${flag.char}\\fR, ${long}` : long
}

function commandPage(id, command) {
  const lines = header(pageName(id), command.summary ?? command.description ?? '')
  const args = Object.values(command.args ?? {})
  const usage = args.map((arg) => (arg.required ? arg.name.toUpperCase() : `[${arg.name.toUpperCase()}]`)).join(' ')
  lines.push('.SH SYNOPSIS', `\\fB${bin} ${words(id)}\\fR${usage ? ` ${text(usage)}` : ''} [\\fIFLAGS\\fR]`)
  if (command.description) lines.push('.SH DESCRIPTION', text(command.description))
  if (args.length > 0) {
    lines.push('.SH ARGUMENTS')
    for (const arg of args) lines.push('.TP', `\\fI${text(arg.name.toUpperCase())}\\fR`, text(arg.description ?? ''))
  }
  const flags = Object.entries(command.flags ?? {}).filter(([, flag]) => !flag.hidden)
  for (const [title, group] of [
    ['OPTIONS', flags.filter(([, flag]) => flag.helpGroup !== 'GLOBAL')],
    ['GLOBAL OPTIONS', flags.filter(([, flag]) => flag.helpGroup === 'GLOBAL')],
  ]) {
    if (group.length === 0) continue
    lines.push(`.SH ${title}`)
    for (const [name, flag] of group) {
      const notes = [
        flag.options ? `One of: ${flag.options.join(', ')}.` : '',
        flag.default !== undefined && flag.default !== false ? `Default: ${flag.default}.` : '',
      ]
      lines.push('.TP', flagLine(name, flag), text([flag.summary ?? flag.description ?? '', ...notes].filter(Boolean).join(' ')))
    }
  }
  if (command.examples?.length) {
    lines.push('.SH EXAMPLES')
    for (const example of command.examples)
      lines.push('.PP', '.nf', `.RS 4`, text(typeof example === 'string' ? example : example.command), '.RE', '.fi')
  }
  lines.push('.SH SEE ALSO', `\\fB${bin}\\fR(1)`)
  return `${lines.join('\n')}\n`
}

function rootPage(ids) {
  const lines = header(bin, pkg.description)
  lines.push(
    '.SH SYNOPSIS',
    `\\fB${bin}\\fR \\fICOMMAND\\fR [\\fIFLAGS\\fR]`,
    '.SH DESCRIPTION',
    text(
      `${pkg.description}. \`${bin} COMMAND --help\` and \`man ${bin}-COMMAND\` describe each command; \`${bin} help environment|exit-codes|formatting\` print the tables below.`,
    ),
  )
  lines.push('.SH COMMANDS')
  for (const id of ids)
    lines.push('.TP', `\\fB${bin} ${text(words(id))}\\fR`, `${text(manifest.commands[id].summary ?? '')} See \\fB${pageName(id)}\\fR(1).`)
  lines.push('.SH ENVIRONMENT')
  for (const [names, effect] of ENVIRONMENT) lines.push('.TP', text(names), text(effect))
  lines.push('.SH EXIT STATUS')
  for (const row of exitCodeRows())
    lines.push('.TP', `\\fB${row.exit}\\fR`, text(row.meaning) + (row.codes.length > 0 ? ` (${row.codes.join(', ')})` : ''))
  lines.push('.SH SEE ALSO', ids.map((id) => `\\fB${pageName(id)}\\fR(1)`).join(', '))
  return `${lines.join('\n')}\n`
}

const ids = Object.keys(manifest.commands)
  .filter((id) => !manifest.commands[id].hidden)
  .sort()
mkdirSync(out, {recursive: true})
// Pages of commands that no longer exist go.
for (const file of readdirSync(out)) if (file.startsWith(`${bin}`) && file.endsWith('.1')) rmSync(join(out, file))
writeFileSync(join(out, `${bin}.1`), rootPage(ids))
for (const id of ids) writeFileSync(join(out, `${pageName(id)}.1`), commandPage(id, manifest.commands[id]))
// npm links the pages package.json's "man" lists (it no longer walks directories.man): kept equal to what was written.
if (process.argv[2] === undefined) {
  const listed = [`./man/man1/${bin}.1`, ...ids.map((id) => `./man/man1/${pageName(id)}.1`)]
  if (JSON.stringify(pkg.man) !== JSON.stringify(listed)) {
    const file = join(root, 'package.json')
    const current = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, `${JSON.stringify({...current, man: listed}, null, 2)}\n`)
  }
}
console.log(`man: ${ids.length + 1} pages in ${out}`)
