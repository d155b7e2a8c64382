/**
 * The exit-code table is written once (src/shared/errors.ts): the README's
 * table and `ummah help exit-codes` are generated from it, and an error's exit
 * code is read from it.
 */
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ConnectionError, errorFromResponse} from '../../src/api/errors.js'
import {HELP_TOPICS, environmentMarkdown, exitCodeRows, exitCodesMarkdown, formattingMarkdown} from '../../src/cli/help-topics.js'
import {ENVIRONMENT, FORMATTING} from '../../src/cli/help-tables.js'
import {ERROR_CODES, type ErrorCode, ExitCode, UmmahError} from '../../src/shared/errors.js'
import {ROOT, runCli} from '../helpers/cli.js'

describe('exit codes, declared once', () => {
  it("the README's table is the generated one (`npm run docs` writes it)", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const section = /<!-- exit-codes:start[^>]*-->\n([\s\S]*?)\n<!-- exit-codes:end -->/.exec(readme)
    expect(section, 'README has the exit-codes markers').not.toBeNull()
    expect(section![1]).toBe(exitCodesMarkdown())
  })

  it('lists every error code under the exit code it ends a run with, each once', () => {
    const listed = exitCodeRows().flatMap((row) => row.codes.map((code) => [code, row.exit] as const))
    const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => code !== 'exit')
    expect(listed.map(([code]) => code).sort()).toEqual([...codes].sort())
    for (const [code, exit] of listed) expect(new UmmahError('x', {code}).exitCode).toBe(exit)
    expect(exitCodeRows().map((row) => row.exit)).toEqual(Object.values(ExitCode))
  })

  it('API failures carry the code of their kind and keep the gateway word apart', () => {
    const cases: [number, unknown, ErrorCode, number][] = [
      [400, {error: 'Bad Request', details: {email: ['Enter a valid email address.']}}, 'bad_request', 2],
      [401, {error: 'Unauthorized'}, 'authentication_failed', 3],
      [402, {error: 'card_declined', details: {decline_code: 'generic_decline'}}, 'payment_failed', 5],
      [404, {error: 'Not Found', detail: 'Object with this ID does not exist.'}, 'not_found', 4],
      [409, {error: 'Conflict'}, 'conflict', 5],
      [429, {}, 'rate_limited', 6],
      [503, 'down', 'server_error', 7],
      [418, {}, 'unexpected_response', 1],
    ]
    for (const [status, body, code, exit] of cases) {
      const error = errorFromResponse({method: 'POST', path: '/purchases/', status, body, attempts: 1})
      expect([error.code, error.exitCode], String(status)).toEqual([code, exit])
    }
    const declined = errorFromResponse({method: 'POST', path: '/purchases/x/charge/', status: 402, body: {error: 'card_declined'}, attempts: 1})
    expect(declined.toJSON()).toMatchObject({code: 'payment_failed', gateway_code: 'card_declined', status: 402})
    const refused = new ConnectionError('refused', {code: 'connection_failed', errno: 'ECONNREFUSED', url: 'http://127.0.0.1:9/', attempts: 1})
    expect(refused.toJSON()).toMatchObject({code: 'connection_failed', errno: 'ECONNREFUSED'})
    expect(refused.exitCode).toBe(7)
  })

  it('`ummah help exit-codes` prints every exit code and its error codes', async () => {
    const result = await runCli(['help', 'exit-codes'])
    expect(result.code, result.stderr).toBe(0)
    for (const row of exitCodeRows()) {
      expect(result.stdout).toContain(`  ${String(row.exit).padEnd(4)} ${row.meaning}\n`)
      if (row.codes.length > 0) expect(result.stdout).toContain(`       ${row.codes.join(', ')}\n`)
    }
  })
})

describe('help environment and help formatting, declared once', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = (name: string) => new RegExp(`<!-- ${name}:start[^>]*-->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(readme)?.[1]

  it("the README's tables are the generated ones", () => {
    expect(section('environment')).toBe(environmentMarkdown())
    expect(section('formatting')).toBe(formattingMarkdown())
  })

  it('every UMMAH_ variable the code reads is in the environment table', () => {
    // Not `$UMMAH_…`: an example's shell variable of the user's own.
    const sources = execFileSync('grep', ['-rhoE', '[^$A-Z_]UMMAH_[A-Z0-9_]+', join(ROOT, 'src'), join(ROOT, 'bin')], {encoding: 'utf8'})
    const read = new Set(
      sources
        .split('\n')
        .map((match) => match.slice(1))
        .filter((name) => name && !name.endsWith('_')),
    )
    const listed = ENVIRONMENT.map(([names]) => names).join(' ')
    for (const name of read) expect(listed, name).toContain(`\`${name}\``)
    expect(read.size).toBeGreaterThan(10)
  })

  it('ummah help TOPIC prints each table as text, every row, no Markdown', async () => {
    for (const [topic, rows] of [
      ['environment', ENVIRONMENT],
      ['formatting', FORMATTING],
    ] as const) {
      const result = await runCli(['help', topic])
      expect(result.code, topic).toBe(0)
      expect(result.stdout).toBe(`${HELP_TOPICS[topic]()}\n`)
      for (const [name] of rows) expect(result.stdout).toContain(`\n  ${name.replaceAll('`', '')}\n`)
      expect(result.stdout).not.toContain('`')
      expect(Math.max(...result.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80)
    }
  })
})
