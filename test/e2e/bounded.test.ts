/**
 * Bounded work, whatever the other side does: an endless response body, a
 * `--jq` filter that never ends (and is never run before the request), a
 * checkout URL that is not http(s), a sandbox advance of 20,000 days over a
 * template at the product limit. Each stops with the stated message.
 */
import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startSandbox} from '../../src/sandbox/server.js'
import {runCli, tempDir} from '../helpers/cli.js'
import {type TestServer, json, startServer} from '../helpers/server.js'
import {BRAND, clientFor, paidSubscriber} from '../sandbox/helpers.js'
import {until} from '../helpers/wait.js'

const KEY = 'sk_test_Bounded0123456789abcdef'
let checkoutUrl = ''
let gateway: TestServer

beforeAll(async () => {
  gateway = await startServer((request, response) => {
    if (request.url === '/api/v1/endless/') {
      // Chunked, no length: 1 MiB at a time until the client hangs up (80 MiB at most, so the test is bounded either way).
      response.writeHead(200, {'content-type': 'application/json'})
      const chunk = Buffer.alloc(1024 * 1024, 0x20)
      let sent = 0
      const more = () => {
        while (sent < 80 && !response.destroyed) {
          sent++
          if (!response.write(chunk)) return void response.once('drain', more)
        }
        response.end()
      }
      response.once('close', () => (sent = 80))
      return more()
    }
    if (request.url === '/api/v1/declared/') {
      response.writeHead(200, {'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024)})
      response.end('{')
      return
    }
    if (request.url === '/api/v1/purchases/' && request.method === 'POST')
      return json(response, 201, {id: 'p1', status: 'created', checkout_url: checkoutUrl})
    json(response, 200, {results: [{id: 'c1'}], next: null, previous: null})
  })
})
afterAll(() => gateway.close())

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli([...args, '--api-base', gateway.apiBase, '--max-retries', '0'], {env: {UMMAH_SECRET_KEY: KEY, ...env}, timeoutMs: 60_000})
}

describe('bounded work', {timeout: 120_000}, () => {
  it('an endless or over-long response body stops at 64 MiB with a clear error', async () => {
    for (const path of ['/endless/', '/declared/']) {
      const result = await cli(['api', 'GET', path])
      expect(result.code, result.stderr).toBe(1)
      expect(result.stderr).toContain(`Error: The answer to /api/v1${path} was not read whole: the response is over 64 MiB.`)
    }
  })

  it('a --jq filter that never ends: the request is sent (nothing runs before it), then the filter is stopped with exit 1', async () => {
    for (const filter of ['def f: f; f', 'repeat(1)', '[limit(1; repeat(1))] | last as $x | input']) {
      gateway.requests.length = 0
      const started = Date.now()
      const result = await cli(['api', 'GET', '/clients/', '--jq', filter], {UMMAH_JQ_TIMEOUT_MS: '1000'})
      expect(
        gateway.requests.map((request) => request.url),
        filter,
      ).toEqual(['/api/v1/clients/'])
      if (filter === 'repeat(1)' || filter === 'def f: f; f') {
        expect(result.code, result.stderr).toBe(1)
        expect(result.stderr).toContain('Error: --jq: the filter ran for 1 s without finishing, and was stopped.')
        expect(Date.now() - started).toBeLessThan(15_000)
      } else {
        // `input` with nothing more to read: jq's own error, after the request.
        expect(result.code).toBe(1)
      }
    }
  })

  it('--open passes only http(s) links to the browser, never file:, javascript: or one starting with -', async () => {
    const dir = tempDir()
    const opened = join(dir, 'opened')
    const browser = join(dir, 'browser.sh')
    writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$@" >> ${opened}\n`)
    chmodSync(browser, 0o755)
    const create = ['purchases', 'create', '--brand-id', BRAND, '--email', 'a@example.com', '--product', 'X:100', '--currency', 'USD', '--open']
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', '--version', '-x http://evil.example/', ' http://evil.example/']) {
      checkoutUrl = url
      const result = await cli(create, {BROWSER: browser})
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toContain('only http(s) links are opened')
      expect(existsSync(opened), url).toBe(false)
    }
    checkoutUrl = 'https://gate.example/checkout/p1/'
    const result = await cli(create, {BROWSER: browser})
    expect(result.code, result.stderr).toBe(0)
    // The opener starts detached: wait for its line.
    await until(() => existsSync(opened) && readFileSync(opened, 'utf8').endsWith('\n'), 'the opener to write its line', 5000)
    expect(readFileSync(opened, 'utf8')).toBe('https://gate.example/checkout/p1/\n')
  })

  it('the sandbox: over 100 products is 400; an advance of 20,000 days charges at most 1,000 renewals and the state still saves and loads', async () => {
    const dataFile = join(tempDir(), 'sandbox.json')
    const sandbox = await startSandbox({port: 0, retryDelaysMs: [50], statementDelayMs: 0, dataFile})
    try {
      const call = clientFor(sandbox, 'sk_test_bounded_advance')
      const products = (count: number) => Array.from({length: count}, (_, index) => ({name: `Line ${index}`, price: 100}))
      const plan = {brand_id: BRAND, is_subscription: true, subscription_period: 1, subscription_period_units: 'days', purchase: {currency: 'USD'}}
      const tooMany = await call('POST', '/billing_templates/', {...plan, purchase: {...plan.purchase, products: products(101)}})
      expect(tooMany.status).toBe(400)
      expect(JSON.stringify(tooMany.body)).toContain('no more than 100 elements')
      const purchase = await call('POST', '/purchases/', {
        brand_id: BRAND,
        client: {email: 'a@example.com'},
        purchase: {currency: 'USD', products: products(101)},
      })
      expect(purchase.status).toBe(400)
      const template = (await call('POST', '/billing_templates/', {...plan, purchase: {...plan.purchase, products: products(100)}})).body
      await paidSubscriber(call, template.id, 'daily@example.com')
      const advanced = await call('POST', '/_sandbox/advance', {duration: '20000d'})
      expect(advanced.status).toBe(200)
      expect(advanced.body).toMatchObject({renewals: 1000, more_due: true})
      // The rest are charged by the next advance, bounded the same way.
      expect((await call('POST', '/_sandbox/advance', {duration: '1s'})).body).toMatchObject({renewals: 1000, more_due: true})
    } finally {
      await sandbox.close()
    }
    // Saved whole: it loads, with every renewal.
    const state = JSON.parse(readFileSync(dataFile, 'utf8'))
    const purchases = Object.values(state.accounts as Record<string, {purchases: object}>).flatMap((account) => Object.values(account.purchases))
    expect(purchases.length).toBe(2001)
  })
})
