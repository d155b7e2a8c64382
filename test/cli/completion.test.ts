/** Shell completion is generated from the manifest: every endpoint command, its flags and their choices. */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'

import {endpoints} from '../../src/api/endpoints.js'
import {runCli, tempDir} from '../helpers/cli.js'

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
