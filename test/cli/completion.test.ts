/** Shell completion is generated from the manifest: every endpoint command, its flags and their choices. */
import {execFile} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {expect, it} from 'vitest'

import {WEBHOOK_EVENTS, endpoints} from '../../src/api/endpoints.js'
import {runCli, tempDir} from '../helpers/cli.js'

const run = promisify(execFile)

it('bash and zsh completion know every endpoint command, its flags and enumerated values', async () => {
  const home = tempDir('ummah-completion-')
  const result = await runCli(['autocomplete', 'bash'], {env: {HOME: home, XDG_CACHE_HOME: undefined}})
  expect(result.code, result.stderr).toBe(0)
  const functions = join(home, '.cache', 'ummah', 'autocomplete', 'functions')
  const bash = readFileSync(join(functions, 'bash', 'ummah.bash'), 'utf8')
  for (const target of endpoints) expect(bash, target.command).toContain(`${target.command.replaceAll(' ', ':')} `)
  expect(bash).toMatch(/purchases:create [^\n]*--brand-id --email --product --currency/)
  const zsh = readFileSync(join(functions, 'zsh', '_ummah'), 'utf8')
  expect(zsh).toContain('subscription-period-units options:(days weeks months years)')
})

/** What bash completes after these words (the last one being typed), with `ummah completion bash` sourced. */
async function bashCompletes(script: string, words: string[]): Promise<string[]> {
  const {stdout} = await run('bash', [
    '-c',
    `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _ummah_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
    script,
    'ummah',
    ...words,
  ])
  return stdout.split('\n').filter(Boolean)
}

/** What fish completes for this command line, with `ummah completion fish` sourced: the words, without descriptions. */
async function fishCompletes(script: string, line: string): Promise<string[]> {
  const {stdout, stderr} = await run('fish', ['--no-config', '-c', `source $argv[1]; complete -C $argv[2]`, script, line])
  expect(stderr).toBe('')
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.split('\t')[0])
}

it('ummah completion bash and fish complete commands, flags and the values of flags and arguments', async () => {
  const dir = tempDir('ummah-completion-')
  const scripts: Record<string, string> = {}
  for (const shell of ['bash', 'fish']) {
    const result = await runCli(['completion', shell])
    expect(result.code, result.stderr).toBe(0)
    scripts[shell] = join(dir, `ummah.${shell}`)
    writeFileSync(scripts[shell], result.stdout)
  }
  const cases: Array<[string[], string[]]> = [
    [
      ['statements', 'create', '--format', ''],
      ['csv', 'xlsx'],
    ],
    [['trigger', ''], [...WEBHOOK_EVENTS].sort()],
    [
      ['trigger', 'purchase.re'],
      ['purchase.refunded', 'purchase.released'],
    ],
    [['purch'], ['purchases']],
    [['purchases', 'cre'], ['create']],
    [['purchases', 'create', '--cur'], ['--currency']],
    [['templates', 'create', '--subscription-period-units', 'm'], ['months']],
    [['webhooks', 'listen', '--verify-scheme', 'o'], ['oauth2']],
  ]
  for (const [words, expected] of cases) {
    expect((await bashCompletes(scripts.bash, words)).sort(), `bash: ${words.join(' ')}`).toEqual(expected)
    expect((await fishCompletes(scripts.fish, `ummah ${words.join(' ')}`)).sort(), `fish: ${words.join(' ')}`).toEqual(expected)
  }
  // Every endpoint command is offered under its topic.
  for (const target of endpoints) {
    const words = target.command.split(' ')
    const typed = [...words.slice(0, -1), words.at(-1)!]
    expect(await bashCompletes(scripts.bash, typed), target.command).toContain(words.at(-1))
  }
})
