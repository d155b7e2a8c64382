/**
 * An install under a path with a space (`C:\Program Files\…`, `~/My Tools/…`)
 * works: file paths come from URLs through fileURLToPath, never URL.pathname
 * (which keeps `%20`). The package is copied there, node_modules linked.
 */
import {execFile} from 'node:child_process'
import {cpSync, mkdirSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, tempDir} from '../helpers/cli.js'

const run = promisify(execFile)
let base: string
let install: string

beforeAll(() => {
  base = tempDir('ummah-install-')
  install = join(base, 'My Tools', 'ummah cli')
  mkdirSync(install, {recursive: true})
  for (const entry of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) cpSync(join(ROOT, entry), join(install, entry), {recursive: true})
  symlinkSync(join(ROOT, 'node_modules'), join(install, 'node_modules'))
})
afterAll(() => rmSync(base, {recursive: true, force: true}))

const ummah = (args: string[]) =>
  run(process.execPath, [join(install, 'bin', 'run.js'), ...args], {env: {...process.env, UMMAH_CONFIG_DIR: join(base, 'config')}})

describe('installed under a path with spaces', {timeout: 60_000}, () => {
  it('root help, -h, command help and --version work', async () => {
    const [reference, spaced] = await Promise.all([run(process.execPath, [join(ROOT, 'bin', 'run.js'), '--help']), ummah(['--help'])])
    expect(spaced.stderr).toBe('')
    expect(spaced.stdout).toBe(reference.stdout)
    expect(spaced.stdout).toContain('USAGE')
    expect((await ummah(['-h'])).stdout).toBe(reference.stdout)
    expect((await ummah(['purchases', 'retrieve', '--help'])).stdout).toContain('Retrieve a purchase')
    expect((await ummah(['--version'])).stdout).toMatch(/^ummah\/\d+\.\d+\.\d+ /)
  })

  it('a Windows-style install path converts to a file path, not a URL path', () => {
    expect(fileURLToPath('file:///C:/Program%20Files/ummah/', {windows: true})).toBe('C:\\Program Files\\ummah\\')
    expect(new URL('file:///C:/Program%20Files/ummah/').pathname).toBe('/C:/Program%20Files/ummah/') // what the old code used
    // And nothing that starts the CLI takes a file path from a URL's pathname.
    for (const file of ['bin/run.js', 'bin/dev.js', 'src/cli/launch.ts', 'src/cli/root-help.ts', 'scripts/bundle.mjs']) {
      expect(readFileSync(join(ROOT, file), 'utf8'), file).not.toMatch(/import\.meta\.url\)?\.pathname|new URL\([^)]*\)\.pathname/)
    }
  })
})
