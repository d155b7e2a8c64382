/**
 * Path parameters never change the route: for every command with an ID
 * argument, `.`, `..`, an empty value and `a/b` exit 2 naming the argument,
 * and the server behind --api-base sees no request at all. (`..` as a token
 * once turned `clients tokens delete C .. --yes` into `DELETE /clients/C/`.)
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {endpoints} from '../../src/api/endpoints.js'
import {pathFormat, pathParams} from '../../src/api/paths.js'
import {runInProcess as runCli} from '../helpers/in-process.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

const UUID = 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e'
const BAD = ['.', '..', '', 'a/b']

let gateway: TestServer
beforeAll(async () => {
  gateway = await startServer((_request, response) => json(response, 500, {error: 'This test gateway must not be called'}))
})
afterAll(() => gateway.close())

interface Case {
  name: string
  args: string[]
  argument: string
}

/** Every endpoint command with path parameters, each placeholder in turn given each bad value, the others valid. */
function endpointCases(): Case[] {
  const cases: Case[] = []
  for (const target of endpoints) {
    const names = pathParams(target)
    for (const [position, name] of names.entries()) {
      for (const bad of BAD) {
        const values = names.map((other, index) => (index === position ? bad : pathFormat(target, other) === 'uuid' ? UUID : 'bt-1'))
        const extra = target.destructive ? ['--yes'] : []
        cases.push({
          name: `${target.command} ${JSON.stringify(values)}`,
          args: [...target.command.split(' '), ...values, ...extra],
          argument: name.toUpperCase(),
        })
      }
    }
  }
  for (const bad of BAD) {
    cases.push({name: `statements download ${JSON.stringify(bad)}`, args: ['statements', 'download', bad, '-o', '-'], argument: 'ID'})
    cases.push({name: `sandbox pay ${JSON.stringify(bad)}`, args: ['sandbox', 'pay', bad], argument: 'ID'})
  }
  return cases
}

const cases = endpointCases()

describe('path parameters', {timeout: 240_000}, () => {
  it('covers every command with a path parameter', () => {
    const commands = new Set(
      cases.map((item) =>
        item.args
          .slice(
            0,
            item.args.findIndex((arg) => BAD.includes(arg) || arg === UUID || arg === 'bt-1'),
          )
          .join(' '),
      ),
    )
    expect(commands.size).toBe(endpoints.filter((target) => pathParams(target).length > 0).length + 2)
    expect(cases.length).toBeGreaterThan(120)
  })

  it('exit 2 naming the argument, no request sent', async () => {
    const failures: string[] = []
    const queue = [...cases]
    // In this process, one at a time (test/helpers/in-process.ts): a few ms a case.
    await Promise.all(
      Array.from({length: 4}, async () => {
        for (let item = queue.shift(); item; item = queue.shift()) {
          const result = await runCli([...item.args, '--api-base', gateway.apiBase, '--api-key', 'sk_test_path_params'])
          const line = result.stderr.trim()
          if (result.code !== 2 || !line.startsWith(`Error: ${item.argument}: `) || line.includes('\n') || result.stdout !== '') {
            failures.push(`${item.name}: exit ${result.code}: ${line}`)
          }
        }
      }),
    )
    expect(failures).toEqual([])
    expect(gateway.requests).toEqual([])
  })

  it('names the problem: empty, a dot path, a slash, not a UUID', async () => {
    const run = (args: string[]) => runCli([...args, '--api-base', gateway.apiBase, '--api-key', 'sk_test_path_params'])
    expect((await run(['clients', 'tokens', 'delete', UUID, '..', '--yes'])).stderr).toMatch(
      /^Error: TOKEN: "\.\." is not an id\. See `ummah clients tokens delete --help`\.\n$/,
    )
    expect((await run(['purchases', 'refund', '', '--yes'])).stderr).toMatch(/^Error: ID: must not be empty\./)
    expect((await run(['webhooks', 'retrieve', 'wh-1/../..'])).stderr).toMatch(/^Error: ID: "wh-1\/\.\.\/\.\." is not an id: it contains "\/"\./)
    expect((await run(['purchases', 'retrieve', 'abc'])).stderr).toMatch(/^Error: ID: "abc" is not a UUID/)
    expect(gateway.requests).toEqual([])
    // A documented id goes through, as one encoded segment.
    await run(['templates', 'retrieve', 'bt-a1b2c3d4-e5f6-7890-abcd-ef1234567890', '--max-retries', '0'])
    expect(gateway.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'GET /api/v1/billing_templates/bt-a1b2c3d4-e5f6-7890-abcd-ef1234567890/',
    ])
    gateway.requests.length = 0
  })
})
