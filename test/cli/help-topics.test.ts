/**
 * The exit-code table is written once (src/shared/errors.ts): the README's
 * table and `ummah help exit-codes` are generated from it, and an error's exit
 * code is read from it.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ConnectionError, errorFromResponse} from '../../src/api/errors.js'
import {exitCodeRows, exitCodesMarkdown} from '../../src/cli/help-topics.js'
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
