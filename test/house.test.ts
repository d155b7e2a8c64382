/**
 * Rules of the house that hold over the whole tree, checked by reading it.
 */
import {execFile} from 'node:child_process'
import {readFileSync, readdirSync} from 'node:fs'
import {join, relative} from 'node:path'
import {promisify} from 'node:util'
import {describe, expect, it} from 'vitest'

import {ROOT} from './helpers/cli.js'

function files(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : files(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** What waiting on the wall clock looks like in a test: a sleep, or a promise resolved by a bare timer. */
const SLEEPS = [/node:timers\/promises/, /\bsleep\(/, /setTimeout\(\s*(resolve|r|done)\s*[,)]/, /setTimeout\(\s*\(\)\s*=>\s*(resolve|r)\(\)/]

describe('the house', () => {
  it('no test waits on the wall clock: it waits for a condition (test/helpers/wait.ts) or moves a clock (test/helpers/clock.ts)', () => {
    const offenders: string[] = []
    for (const file of files(join(ROOT, 'test'))) {
      const name = relative(ROOT, file)
      if (name === 'test/helpers/wait.ts' || name === 'test/house.test.ts') continue
      for (const [index, line] of readFileSync(file, 'utf8').split('\n').entries()) {
        if (SLEEPS.some((pattern) => pattern.test(line))) offenders.push(`${name}:${index + 1}: ${line.trim()}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('the check finds a sleep where there is one', () => {
    const bad = [
      'await sleep(300)',
      "import {setTimeout as sleep} from 'node:timers/promises'",
      'await new Promise((resolve) => setTimeout(resolve, 100))',
      'await new Promise((r) => setTimeout(r, 5))',
    ]
    for (const line of bad)
      expect(
        SLEEPS.some((pattern) => pattern.test(line)),
        line,
      ).toBe(true)
    expect(SLEEPS.some((pattern) => pattern.test("const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)"))).toBe(false)
  })

  it('the lint runs its rules: a file that breaks them fails ESLint and Prettier (npm test runs both over the tree)', async () => {
    const run = (command: string, args: string[]) =>
      promisify(execFile)(join(ROOT, 'node_modules', '.bin', command), args, {cwd: ROOT}).then(
        ({stdout}) => ({code: 0, stdout}),
        (error: {code: number; stdout: string}) => ({code: error.code, stdout: error.stdout}),
      )
    const eslint = await run('eslint', ['--no-ignore', 'test/fixtures/lint/bad.ts'])
    expect(eslint.code).toBe(1)
    expect(eslint.stdout).toContain('prefer-const')
    expect(eslint.stdout).toContain('eqeqeq')
    const prettier = await run('prettier', ['--check', '--ignore-path', '', 'test/fixtures/lint/unformatted.ts'])
    expect(prettier.code).toBe(1)
    // The tree itself is clean under both.
    expect((await run('eslint', ['src', 'test/helpers'])).code).toBe(0)
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {scripts: Record<string, string>}
    expect(manifest.scripts.test).toContain('npm run lint')
    expect(manifest.scripts.lint).toBe('eslint . && prettier --check .')
  })

  it("commands and domain code write through the base command's sink, never the process streams directly", () => {
    // src/cli owns the streams: the base command's sink, the output guard, terminal detection, launch and the progress line.
    const offenders = files(join(ROOT, 'src'))
      .filter((file) => !relative(ROOT, file).startsWith('src/cli/'))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, index) =>
            /process\.std(out|err)\.write|process\.std(out|err)\b(?!\.isTTY)/.test(line)
              ? [`${relative(ROOT, file)}:${index + 1}: ${line.trim()}`]
              : [],
          ),
      )
    expect(offenders).toEqual([])
  })
})
