/**
 * Man pages generated from the manifest (scripts/man.mjs, run by `npm run
 * build` and shipped in the package): one per command and ummah(1), each
 * rendering with `man -l` without a roff warning; ummah(1) carries the same
 * environment and exit-code tables as `ummah help`.
 */
import {execFile} from 'node:child_process'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {beforeAll, describe, expect, it} from 'vitest'

import {ENVIRONMENT} from '../../src/cli/help-tables.js'
import {exitCodeRows} from '../../src/cli/help-topics.js'
import {ROOT, tempDir} from '../helpers/cli.js'

const run = promisify(execFile)
const dir = tempDir('ummah-man-')
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {summary?: string}>}

/** `man -l PAGE` as an 80-column terminal shows it, plain text; roff warnings on stderr. */
async function man(page: string): Promise<{stdout: string; stderr: string}> {
  const {stdout, stderr} = await run('man', ['--warnings', '-l', join(dir, page)], {
    env: {...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat', MAN_KEEP_FORMATTING: ''},
  })
  return {stdout: stdout.replaceAll(/.\u0008/g, ''), stderr}
}

beforeAll(async () => {
  await run(process.execPath, [join(ROOT, 'scripts', 'man.mjs'), dir])
})

describe('man pages', {timeout: 60_000}, () => {
  it('one page per command, and ummah(1)', () => {
    const pages = readdirSync(dir).sort()
    const expected = ['ummah.1', ...Object.keys(manifest.commands).map((id) => `ummah-${id.replaceAll(':', '-')}.1`)].sort()
    expect(pages).toEqual(expected)
    // package.json lists each, so `npm install -g` links them all (`npm run build` keeps the list).
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {man: string[]; files: string[]}
    expect([...pkg.man].sort()).toEqual(expected.map((page) => `./man/man1/${page}`))
    expect(pkg.files).toContain('man')
  })

  it('ummah-purchases-create(1) renders: name, synopsis, every flag, examples', async () => {
    const {stdout, stderr} = await man('ummah-purchases-create.1')
    expect(stderr).toBe('')
    expect(stdout).toMatch(/^UMMAH-PURCHASES-CREATE\(1\) +User Commands +UMMAH-PURCHASES-CREATE\(1\)$/m)
    expect(stdout).toMatch(/^NAME\n {7}ummah-purchases-create - Create a purchase and get its checkout URL$/m)
    expect(stdout).toMatch(/^SYNOPSIS\n {7}ummah purchases create \[FLAGS\]$/m)
    for (const flag of ['--email value', '--product NAME:PRICE[:QTY]', '--dry-run', '-p, --profile value', '--no-pager', '-q, --quiet'])
      expect(stdout, flag).toContain(`\n       ${flag}\n`)
    expect(stdout).toContain('ummah purchases create --email jane@example.com --product "Pro plan:4900"')
    expect(stdout).toMatch(/^SEE ALSO\n {7}ummah\(1\)$/m)
  })

  it('ummah(1): every command, the environment and exit codes as `ummah help` has them, no warnings', async () => {
    const {stdout, stderr} = await man('ummah.1')
    expect(stderr).toBe('')
    const section = (name: string) =>
      stdout.slice(stdout.indexOf(`\n${name}\n`), stdout.indexOf('\n', stdout.indexOf(`\n${name}\n`) + name.length + 2) + 1)
    expect(section('COMMANDS')).not.toBe('')
    const flat = stdout.replaceAll(/\s+/g, ' ')
    for (const id of Object.keys(manifest.commands)) expect(flat, id).toContain(`ummah ${id.replaceAll(':', ' ')} `)
    for (const [names] of ENVIRONMENT) expect(flat).toContain(names.replaceAll('`', ''))
    for (const row of exitCodeRows()) expect(flat).toContain(` ${row.exit} ${row.meaning.replaceAll('`', '').replaceAll(/\s+/g, ' ')}`)
  })

  it('every page renders without a roff warning', async () => {
    const failures: string[] = []
    for (const page of readdirSync(dir)) {
      const {stdout, stderr} = await man(page)
      if (stderr !== '' || !stdout.includes('NAME')) failures.push(`${page}: ${stderr}`)
    }
    expect(failures).toEqual([])
  })
})
