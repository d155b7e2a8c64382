/**
 * The sandbox under hostile input, as found by trying it from outside:
 * prototype names in paths, broken escapes, bodies nested 200,000 deep, line
 * breaks in redirect URLs, lists inside lists, spreadsheet formulas in
 * references. Each answer is a 4xx, the server stays up, and the data file
 * stays whole.
 */
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {startSandbox} from '../../src/sandbox/server.js'
import {tempDir} from '../helpers/cli.js'
import {clientFor, paidPurchase, purchaseBody} from './helpers.js'
import {until} from '../helpers/wait.js'

describe('the sandbox under hostile input', () => {
  it('prototype names and broken escapes in paths are 404, never 500', async () => {
    const sandbox = await startSandbox({port: 0, statementDelayMs: 0})
    const call = clientFor(sandbox, 'sk_test_hostile_paths')
    await paidPurchase(call)
    for (const path of [
      '/checkout/__proto__/',
      '/checkout/constructor/',
      '/checkout/hasOwnProperty/',
      '/invoice/__proto__/',
      '/invoice/toString/',
      '/files/statements/__proto__/0.csv',
    ]) {
      expect((await fetch(`${sandbox.origin}${path}`)).status, path).toBe(404)
    }
    for (const path of [
      '/purchases/__proto__/',
      '/purchases/constructor/',
      '/clients/__proto__/',
      '/billing_templates/valueOf/',
      '/purchases/%E0%A4%A/',
    ]) {
      const reply = await call('GET', path)
      expect(reply.status, path).toBe(404)
    }
    await sandbox.close()
  })

  it('a body nested 200,000 deep is refused at the door (400); the data file stays whole and the server up', async () => {
    const dataFile = join(tempDir('ummah-sandbox-'), 'state.json')
    const sandbox = await startSandbox({port: 0, statementDelayMs: 0, dataFile})
    const call = clientFor(sandbox, 'sk_test_hostile_depth')
    const deep = `${'['.repeat(200_000)}1${']'.repeat(200_000)}`
    const body = `{"callback":"https://hooks.example.com/x","all_events":true,"sandbox_delivery":{"auth":{"scheme":"rsa-sha256","x":${deep}}}}`
    const refused = await call('POST', '/webhooks/', body)
    expect(refused.status).toBe(400)
    expect(JSON.stringify(refused.body)).toContain('nested deeper than 32 levels')
    // Fields a scheme does not have are not stored at all, at any depth.
    const extra = await call('POST', '/webhooks/', {
      callback: 'https://hooks.example.com/x',
      all_events: true,
      sandbox_delivery: {auth: {scheme: 'basic', username: 'u', password: 'p', x: {y: 1}}},
    })
    expect(extra.status).toBe(201)
    expect(JSON.stringify(sandbox.store.state)).not.toContain('"x":{"y":1}')
    // The server answers on.
    const created = await call('POST', '/purchases/', purchaseBody())
    expect(created.status).toBe(201)
    // The save is debounced: the file is complete once it holds the purchase just made.
    const saved = await until(() => {
      const text = existsSync(dataFile) ? readFileSync(dataFile, 'utf8') : ''
      return text.includes(created.body.id) && JSON.parse(text)
    }, 'the state file to hold the new purchase')
    expect(saved.version).toBe(1)
    expect(readdirSync(dirname(dataFile)).filter((name) => name.endsWith('.tmp'))).toEqual([])
    await sandbox.close()
    expect(existsSync(dataFile)).toBe(true)
  })

  it('refuses a redirect URL with a line break or a space at creation, before any card is charged', async () => {
    const sandbox = await startSandbox({port: 0, statementDelayMs: 0})
    const call = clientFor(sandbox, 'sk_test_hostile_redirect')
    for (const url of [
      'https://shop.example.com/ok\r\nSet-Cookie: x=1',
      'https://shop.example.com/ok\nx',
      'https://shop.example.com/o k',
      'https://shop.example.com/\tok',
    ]) {
      const reply = await call('POST', '/purchases/', purchaseBody({success_redirect: url}))
      expect(reply.status, JSON.stringify(url)).toBe(400)
      expect(reply.body.details.success_redirect).toEqual(['Enter a valid URL.'])
    }
    expect((await call('POST', '/purchases/', purchaseBody({success_redirect: 'https://shop.example.com/ok?x=1'}))).status).toBe(201)
    await sandbox.close()
  })

  it('amounts and clock moves: only safe integers within bounds; nothing rounded, nothing null', async () => {
    const sandbox = await startSandbox({port: 0, statementDelayMs: 0})
    const call = clientFor(sandbox, 'sk_test_hostile_amounts')
    const product = (price: unknown, quantity: unknown = 1) => purchaseBody({purchase: {products: [{name: 'X', price, quantity}], currency: 'USD'}})
    // 1e300, 2^53 + 1 (JSON reads it as 2^53), a sum past 2^53, 1e308 × 10.
    for (const body of [
      JSON.stringify(product(1e300)),
      JSON.stringify(product(1)).replace('"price":1', '"price":9007199254740993'),
      JSON.stringify(product(2 ** 52, 3)),
      JSON.stringify(product(1e308, 10)),
    ]) {
      const reply = await call('POST', '/purchases/', body)
      expect(reply.status, body.slice(0, 120)).toBe(400)
    }
    for (const seconds of [1e308, -1, 1.5e15]) expect((await call('POST', '/_sandbox/advance', {seconds})).status, String(seconds)).toBe(400)
    const clock = await call('GET', '/_sandbox/clock')
    expect(Number.isSafeInteger(clock.body.now)).toBe(true)
    await sandbox.close()
  })

  it('refuses events that are not each a documented event type (a list inside the list, a number)', async () => {
    const sandbox = await startSandbox({port: 0, statementDelayMs: 0})
    const call = clientFor(sandbox, 'sk_test_hostile_events')
    for (const events of [[['purchase.paid']], [1], [{type: 'purchase.paid'}], ['purchase.nope']]) {
      const reply = await call('POST', '/webhooks/', {callback: 'https://hooks.example.com/x', events})
      expect(reply.status, JSON.stringify(events)).toBe(400)
      expect(reply.body.details.events[0]).toMatch(/is not a valid choice/)
    }
    expect((await call('POST', '/webhooks/', {callback: 'https://hooks.example.com/x', events: ['purchase.paid']})).status).toBe(201)
    await sandbox.close()
  })

  it('a CSV statement neutralises cells a spreadsheet would run as formulas; negative amounts stay numbers', async () => {
    const sandbox = await startSandbox({port: 0, statementDelayMs: 0})
    const call = clientFor(sandbox, 'sk_test_hostile_csv')
    const paid = await paidPurchase(call)
    for (const reference of ['=HYPERLINK("https://evil.example/","click")', '+1+1', '@SUM(A1)', '-2+3']) {
      expect((await call('POST', `/purchases/${paid.id}/refund/`, {amount: 100, reference})).status).toBe(200)
    }
    const statement = (await call('POST', '/company_statements/', {format: 'csv'})).body
    const ready = (await call('GET', `/company_statements/${statement.id}/`)).body
    const text = await (await fetch(ready.download_url)).text()
    expect(text).toContain(`"'=HYPERLINK(""https://evil.example/"",""click"")"`)
    expect(text).toContain(",'+1+1,")
    expect(text).toContain(",'@SUM(A1),")
    expect(text).toContain(",'-2+3,")
    expect(text).toContain(',-1.00,-100,')
    expect(text).not.toMatch(/,=HYPERLINK/)
    await sandbox.close()
  })
})
