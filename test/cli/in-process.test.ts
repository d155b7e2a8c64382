/**
 * The in-process runner (test/helpers/in-process.ts) is the binary without
 * the spawn: for the same arguments and environment it gives the same exit
 * code, stdout and stderr as bin/run.js, and leaves the test's process as it
 * found it.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {runInProcess} from '../helpers/in-process.js'
import {type TestServer, json, startServer} from '../helpers/server.js'

let gateway: TestServer
beforeAll(async () => {
  gateway = await startServer((request, response) =>
    request.url.includes('/missing/')
      ? json(response, 404, {error: 'Not Found', detail: 'Object with this ID does not exist.'})
      : json(response, 200, {id: 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e', status: 'paid', purchase: {total: 2999, currency: 'USD'}}),
  )
})
afterAll(() => gateway.close())

const UUID = 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e'

describe('runInProcess', () => {
  it('answers as the binary does: results, usage errors, API errors as text and JSON, unknown commands, help topics', async () => {
    const env = {UMMAH_API_BASE: gateway.apiBase, UMMAH_SECRET_KEY: 'sk_test_in_process', CI: 'true'}
    const cases = [
      ['purchases', 'retrieve', UUID, '--json'],
      ['purchases', 'retrieve', UUID],
      ['purchases', 'retrieve', 'not-a-uuid'],
      ['api', 'GET', '/missing/'],
      ['api', 'GET', '/missing/', '--json'],
      ['purchases', 'create', '--product', 'Shirt'],
      ['purchses', 'retrieve', UUID],
      ['help', 'exit-codes'],
      ['purchases', 'retrieve', '--help'],
    ]
    for (const args of cases) {
      const [spawned, inProcess] = [await runCli(args, {env}), await runInProcess(args, {env})]
      expect(inProcess, args.join(' ')).toEqual(spawned)
    }
  })

  it('leaves the process as it found it: environment, exit code, stream listeners', async () => {
    const before = {env: {...process.env}, exitCode: process.exitCode, drains: process.stdout.listenerCount('drain'), cwd: process.cwd()}
    for (let run = 0; run < 12; run++) await runInProcess(['purchases', 'retrieve', 'not-a-uuid'], {env: {UMMAH_PROFILE: 'elsewhere'}})
    expect({env: {...process.env}, exitCode: process.exitCode, drains: process.stdout.listenerCount('drain'), cwd: process.cwd()}).toEqual(before)
  })
})
