import {createVerify, verify} from 'node:crypto'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {type TestServer, startServer} from '../helpers/server.js'
import {BRAND, clientFor, paidPurchase, paidSubscriber, purchaseBody, useSandbox, withSandbox} from './helpers.js'
import {tempDir} from '../helpers/cli.js'
import {until} from '../helpers/wait.js'

const shared = useSandbox()

/** The first value of `read` that `done` accepts (polled by until()). */
function firstOf<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  return until(async () => {
    const value = await read()
    return done(value) ? {value} : undefined
  }, what).then(({value}) => value)
}

describe('the purchase state machine', () => {
  it('forbids every transition the documented diagram does not allow, with 409 and the current status', async () => {
    const created = (await shared.call('POST', '/purchases/', purchaseBody())).body
    for (const action of ['capture', 'release', 'refund']) {
      const reply = await shared.call('POST', `/purchases/${created.id}/${action}/`)
      expect(reply.status, action).toBe(409)
      expect(reply.body).toMatchObject({error: 'Conflict', status: 'created'})
    }
    const paid = await paidPurchase(shared.call)
    for (const action of ['capture', 'release', 'cancel', 'mark_as_paid'])
      expect((await shared.call('POST', `/purchases/${paid.id}/${action}/`)).status, action).toBe(409)
    const held = await paidPurchase(shared.call, {skip_capture: true})
    for (const action of ['refund', 'cancel', 'mark_as_paid'])
      expect((await shared.call('POST', `/purchases/${held.id}/${action}/`)).status, action).toBe(409)
    expect((await shared.call('POST', `/purchases/${held.id}/release/`)).status).toBe(200)
    for (const action of ['capture', 'release', 'refund', 'cancel'])
      expect((await shared.call('POST', `/purchases/${held.id}/${action}/`)).body.status, action).toBe('released')
    await shared.call('POST', `/purchases/${created.id}/cancel/`)
    expect((await shared.call('POST', `/_sandbox/purchases/${created.id}/pay`, {})).status).toBe(409)
  })

  it('adds up partial refunds to at most the captured amount', async () => {
    const paid = await paidPurchase(shared.call)
    expect((await shared.call('POST', `/purchases/${paid.id}/refund/`, {amount: 1000})).body.amount).toBe(1000)
    expect((await shared.call('POST', `/purchases/${paid.id}/refund/`, {amount: 999})).body.amount).toBe(999)
    const over = await shared.call('POST', `/purchases/${paid.id}/refund/`, {amount: 1001})
    expect(over.status).toBe(400)
    expect(over.body.details.amount[0]).toMatch(/refundable amount \(1000\)/)
    expect((await shared.call('POST', `/purchases/${paid.id}/refund/`)).body.amount).toBe(1000)
    const again = await shared.call('POST', `/purchases/${paid.id}/refund/`, {amount: 1})
    expect(again.status).toBe(409)
    expect((await shared.call('GET', `/purchases/${paid.id}/`)).body).toMatchObject({
      status: 'refunded',
      refunded_amount: 2999,
      captured_amount: 2999,
    })
  })

  it('captures part of a hold, never more than held, and refunds only what was captured', async () => {
    const held = await paidPurchase(shared.call, {skip_capture: true})
    expect((await shared.call('POST', `/purchases/${held.id}/capture/`, {amount: 3000})).status).toBe(400)
    expect((await shared.call('POST', `/purchases/${held.id}/capture/`, {amount: 2500})).body).toMatchObject({status: 'paid', captured_amount: 2500})
    expect((await shared.call('POST', `/purchases/${held.id}/refund/`, {amount: 2501})).status).toBe(400)
  })
})

describe('requests', () => {
  it('replays an Idempotency-Key with the same body and refuses it with another (422)', async () => {
    const headers = {'idempotency-key': 'order-42'}
    const first = await shared.call('POST', '/purchases/', purchaseBody(), headers)
    const second = await shared.call('POST', '/purchases/', purchaseBody(), headers)
    expect(second.status).toBe(201)
    expect(second.body).toEqual(first.body)
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    const changed = await shared.call('POST', '/purchases/', purchaseBody({skip_capture: true}), headers)
    expect(changed.status).toBe(422)
    expect(changed.body.error).toBe('idempotency_key_reused')
    expect((await shared.call('GET', '/clients/')).body.results.filter((c: {email: string}) => c.email === 'customer@example.com')).toHaveLength(1)
  })

  it('keeps each test key in its own account', async () => {
    const mine = (await shared.call('POST', '/clients/', {email: 'mine@example.com'})).body
    const other = clientFor(shared.sandbox, 'sk_test_beta')
    expect((await other('GET', `/clients/${mine.id}/`)).status).toBe(404)
    expect((await other('GET', '/clients/')).body.results).toEqual([])
  })

  it('refuses missing, malformed and live keys with 401', async () => {
    expect((await clientFor(shared.sandbox, 'nope')('GET', '/balance/')).body).toMatchObject({error: 'invalid_api_key'})
    const live = await clientFor(shared.sandbox, 'sk_live_abc')('GET', '/balance/')
    expect(live.status).toBe(401)
    expect(live.body.message).toMatch(/test mode only/)
  })

  it('answers bad input with 400/413 and a reason, never a 500', async () => {
    const cases: Array<[unknown, Record<string, unknown>]> = [
      ['{"brand_id": ', {non_field_errors: [expect.stringMatching(/JSON parse error/)]}],
      [[1, 2], {non_field_errors: ['Expected a JSON object.']}],
      [purchaseBody({purchase: {products: [{name: 'X', price: 100}], currency: 'XYZ'}}), {'purchase.currency': [expect.stringMatching(/currency/)]}],
      [
        purchaseBody({purchase: {products: [{name: 'X', price: 0}], currency: 'USD'}}),
        {'purchase.products.0.price': ['Ensure this value is greater than 0.']},
      ],
      [
        purchaseBody({purchase: {products: [{name: 'X', price: '10'}], currency: 'USD'}}),
        {'purchase.products.0.price': [expect.stringMatching(/integer/)]},
      ],
      [
        purchaseBody({brand_id: 'brand', client: {email: 'not-an-email'}, skip_capture: 'yes'}),
        {brand_id: ['Must be a valid UUID.'], 'client.email': ['Enter a valid email address.'], skip_capture: ['Must be a valid boolean.']},
      ],
    ]
    for (const [body, details] of cases) {
      const reply = await shared.call('POST', '/purchases/', body)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body).toEqual({error: 'Bad Request', details})
    }
    const huge = await shared.call('POST', '/purchases/', JSON.stringify({pad: 'x'.repeat(1_100_000)}))
    expect(huge.status).toBe(413)
    expect((await shared.call('GET', '/purchases/nope/')).body).toEqual({error: 'Not Found', detail: 'Object with this ID does not exist.'})
    expect((await shared.call('DELETE', '/purchases/x/')).status).toBe(405)
    expect(
      (await shared.call('POST', '/billing_templates/', {brand_id: BRAND, is_subscription: true, purchase: {products: [{name: 'P', price: 1}]}})).body
        .details,
    ).toMatchObject({
      subscription_period: [expect.any(String)],
      subscription_period_units: [expect.any(String)],
    })
  })

  it('keeps its data across a restart with --data-file', async () => {
    const dataFile = join(tempDir('ummah-sandbox-'), 'state.json')
    const first = await withSandbox({dataFile})
    const purchase = (await clientFor(first)('POST', '/purchases/', purchaseBody())).body
    await first.close()
    const second = await withSandbox({dataFile})
    expect((await clientFor(second)('GET', `/purchases/${purchase.id}/`)).body).toMatchObject({id: purchase.id, status: 'created'})
    expect((await clientFor(second, 'sk_test_other')('GET', `/purchases/${purchase.id}/`)).status).toBe(404)
    await second.close()
  })
})

describe('webhooks', () => {
  let receiver: TestServer
  afterAll(() => receiver?.close())

  it('delivers signed events that verify with the webhook public key, retrying 500s with one event id', async () => {
    receiver = await startServer((_request, response, index) => {
      response.statusCode = index < 2 ? 500 : 200
      response.end()
    })
    const account = clientFor(shared.sandbox, 'sk_test_hooks')
    const webhook = (await account('POST', '/webhooks/', {callback: `${receiver.origin}/hook`, events: ['purchase.paid']})).body
    const purchase = await paidPurchase(account)

    await until(() => receiver.requests.length >= 3, 'three attempts')
    expect(receiver.requests).toHaveLength(3)
    const bodies = new Set(receiver.requests.map((request) => request.body))
    expect(bodies.size).toBe(1)
    const event = JSON.parse(receiver.requests[0].body)
    expect(event).toMatchObject({
      id: expect.stringMatching(/^evt-/),
      type: 'purchase.paid',
      created_on: expect.any(Number),
      object: {id: purchase.id, status: 'paid'},
    })
    for (const request of receiver.requests) {
      expect(verify('sha256', Buffer.from(request.body), webhook.public_key, Buffer.from(String(request.headers['x-signature']), 'base64'))).toBe(
        true,
      )
    }
    expect(
      verify(
        'sha256',
        Buffer.from(receiver.requests[0].body.replace('paid', 'PAID')),
        webhook.public_key,
        Buffer.from(String(receiver.requests[0].headers['x-signature']), 'base64'),
      ),
    ).toBe(false)

    const deliveries = await firstOf(
      async () => (await account('GET', `/webhooks/deliveries/?id=${purchase.id}&source_type=purchase`)).body.results,
      (results: Array<{attempt: number; response_code: number; status: string; event_id: string}>) => results.length >= 3,
      'three recorded deliveries',
    )
    expect(
      deliveries.map((d: {attempt: number; response_code: number; status: string; event_id: string}) => [
        d.attempt,
        d.response_code,
        d.status,
        d.event_id,
      ]),
    ).toEqual([
      [3, 200, 'delivered', event.id],
      [2, 500, 'retrying', event.id],
      [1, 500, 'retrying', event.id],
    ])
  })

  it('passes the reference’s own Node verification sample, and treats a redirect as a failed attempt', async () => {
    const hook = await startServer((_request, response, index) => {
      response.writeHead(index === 0 ? 302 : 200, index === 0 ? {location: '/elsewhere'} : {})
      response.end()
    })
    const account = clientFor(shared.sandbox, 'sk_test_sample')
    const webhook = (await account('POST', '/webhooks/', {callback: hook.origin, all_events: true})).body
    const created = (await account('POST', '/purchases/', purchaseBody())).body
    await until(() => hook.requests.length >= 2, 'two attempts')
    // As in the Webhook Verification Guide: crypto.createVerify('RSA-SHA256') over the raw body.
    const [first] = hook.requests
    const verifier = createVerify('RSA-SHA256')
    verifier.update(Buffer.from(first.body))
    verifier.end()
    expect(verifier.verify(webhook.public_key, Buffer.from(String(first.headers['x-signature']).trim(), 'base64'))).toBe(true)
    expect(hook.requests[1].body).toBe(first.body)
    const deliveries = await firstOf(
      async () =>
        (await account('GET', `/webhooks/deliveries/?id=${created.id}&source_type=purchase`)).body.results as Array<{
          response_code: number
          status: string
        }>,
      (results) => results.length >= 2,
      'two recorded deliveries',
    )
    expect(deliveries.map((d) => [d.response_code, d.status])).toEqual([
      [200, 'delivered'],
      [302, 'retrying'],
    ])
    await hook.close()
  })

  it('signs success_callback deliveries with the company key of GET /public_key/', async () => {
    const callback = await startServer((_request, response) => {
      response.end()
    })
    const account = clientFor(shared.sandbox, 'sk_test_callback')
    await paidPurchase(account, {success_callback: `${callback.origin}/paid`})
    await until(() => callback.requests.length >= 1, 'the callback')
    const {public_key: publicKey} = (await account('GET', '/public_key/')).body
    const [request] = callback.requests
    expect(JSON.parse(request.body).type).toBe('purchase.paid')
    expect(verify('sha256', Buffer.from(request.body), publicKey, Buffer.from(String(request.headers['x-signature']), 'base64'))).toBe(true)
    await callback.close()
  })
})

describe('one-click charges', () => {
  it('charges a saved recurring token at once, and answers 402 when the token declines', async () => {
    const account = clientFor(shared.sandbox, 'sk_test_oneclick')
    const first = await paidPurchase(account, {force_recurring: true})
    const again = await account('POST', '/purchases/', purchaseBody({recurring_token: first.recurring_token}))
    expect(again.status).toBe(201)
    expect(again.body).toMatchObject({status: 'paid', payment: {method: 'card', is_recurring_token: true}, recurring_token: first.recurring_token})

    const risky = await paidPurchase(account, {force_recurring: true, client: {email: 'risky@example.com'}}, '4000000000000341')
    const declined = await account('POST', '/purchases/', purchaseBody({recurring_token: risky.recurring_token}))
    expect(declined.status).toBe(402)
    expect(declined.body).toMatchObject({error: 'card_declined', details: {decline_code: 'generic_decline'}})
    expect((await account('POST', '/purchases/', purchaseBody({recurring_token: 'tok-missing'}))).body.details).toEqual({
      recurring_token: ['Recurring token does not exist.'],
    })
  })
})

describe('hosted checkout', () => {
  async function submit(url: string, form: Record<string, string>) {
    return fetch(url, {method: 'POST', body: new URLSearchParams(form), redirect: 'manual'})
  }

  it('pays with 4242, declines 0002, and asks 3-D Secure for 3220, redirecting as configured', async () => {
    const redirects = {success_redirect: 'https://shop.example/success', failure_redirect: 'https://shop.example/failed'}
    const good = (await shared.call('POST', '/purchases/', purchaseBody(redirects))).body
    const page = await fetch(good.checkout_url)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('name="card_number"')
    expect(html).toContain('29.99 USD')
    const paid = await submit(good.checkout_url, {card_number: '4242 4242 4242 4242', expiry: '12/34', cvc: '123'})
    expect(paid.status).toBe(303)
    expect(paid.headers.get('location')).toBe('https://shop.example/success')
    expect((await shared.call('GET', `/purchases/${good.id}/`)).body.status).toBe('paid')

    const bad = (await shared.call('POST', '/purchases/', purchaseBody(redirects))).body
    // A decline stays on the page with the message and another try; leaving goes to failure_redirect.
    const declined = await submit(bad.checkout_url, {card_number: '4000 0000 0000 0002', expiry: '12/34', cvc: '123'})
    expect(declined.status).toBe(402)
    const declinedPage = await declined.text()
    expect(declinedPage).toContain('Your card was declined.')
    expect(declinedPage).toContain('name="card_number" value="4000 0000 0000 0002"')
    expect((await shared.call('GET', `/purchases/${bad.id}/`)).body.status).toBe('created')
    const leave = await fetch(`${shared.sandbox.origin}/checkout/${bad.id}/leave/`, {redirect: 'manual'})
    expect(leave.headers.get('location')).toBe('https://shop.example/failed')

    const secure = (await shared.call('POST', '/purchases/', purchaseBody())).body
    const challenge = await submit(secure.checkout_url, {card_number: '4000000000003220', expiry: '12/34', cvc: '123'})
    expect(challenge.headers.get('location')).toBe(`/checkout/${secure.id}/3ds/`)
    expect((await shared.call('GET', `/purchases/${secure.id}/`)).body.status).toBe('created')
    expect(await (await fetch(`${shared.sandbox.origin}/checkout/${secure.id}/3ds/`)).text()).toContain('Complete authentication')
    const done = await submit(`${shared.sandbox.origin}/checkout/${secure.id}/3ds/`, {result: 'pass'})
    expect(done.headers.get('location')).toBe(`/checkout/${secure.id}/done/`)
    expect((await shared.call('GET', `/purchases/${secure.id}/`)).body.status).toBe('paid')

    const unknown = await submit(secure.checkout_url.replace(secure.id, bad.id), {card_number: '5555555555554444', expiry: '12/34', cvc: '1'})
    expect(unknown.status).toBe(400)
  })
})

describe('subscriptions on the test clock', () => {
  it('renews on advance, charging the saved token, and reports a failing token', async () => {
    const account = clientFor(shared.sandbox, 'sk_test_subscriptions')
    const template = (
      await account('POST', '/billing_templates/', {
        brand_id: BRAND,
        is_subscription: true,
        purchase: {products: [{name: 'Plan', price: 999}], currency: 'USD'},
        subscription_period: 1,
        subscription_period_units: 'months',
      })
    ).body
    const subscribe = (email: string, card: string) => paidSubscriber(account, template.id, email, card)
    const good = await subscribe('good@example.com', '4242424242424242')
    const failing = await subscribe('failing@example.com', '4000000000000341')
    const hooks = await startServer((_request, response) => {
      response.end()
    })
    await account('POST', '/webhooks/', {callback: hooks.origin, all_events: true})

    const advanced = (await account('POST', '/_sandbox/advance', {duration: '32d'})).body
    expect(advanced.renewals).toBe(2)
    const subscribers = (await account('GET', `/billing_templates/${template.id}/clients/`)).body.results
    const byEmail = Object.fromEntries(subscribers.map((s: {client: {email: string}; status: string}) => [s.client.email, s.status]))
    expect(byEmail).toEqual({'good@example.com': 'active', 'failing@example.com': 'failed'})
    expect((await account('GET', '/balance/')).body.balance).toEqual([{currency: 'USD', amount: 999 * 3}])
    const types = (
      await firstOf(
        async () => hooks.requests.map((r) => JSON.parse(r.body).type as string),
        (t) => t.includes('purchase.subscription_charge_failure'),
        'the charge failure event',
      )
    ).sort()
    expect(types).toContain('purchase.subscription_charge_failure')
    expect(types.filter((type) => type === 'purchase.paid')).toHaveLength(1)
    expect(good.id).not.toBe(failing.id)
    await hooks.close()
  })
})

describe('statements', () => {
  it('completes and serves a CSV and an XLSX of the account transactions', async () => {
    const account = clientFor(shared.sandbox, 'sk_test_statements')
    const paid = await paidPurchase(account)
    await account('POST', `/purchases/${paid.id}/refund/`, {amount: 500})
    const csv = (await account('POST', '/company_statements/', {format: 'csv', timezone: 'Asia/Dubai'})).body
    const ready = (await account('GET', `/company_statements/${csv.id}/`)).body
    const text = await (await fetch(ready.download_url)).text()
    const lines = text.trim().split('\r\n')
    expect(lines[0]).toBe('id,type,status,purchase_id,client_email,amount,amount_minor,currency,method,reference,created_at')
    expect(lines.slice(1).map((line) => line.split(',').slice(1, 8))).toEqual([
      ['charge', 'paid', paid.id, 'customer@example.com', '29.99', '2999', 'USD'],
      ['refund', 'refunded', paid.id, 'customer@example.com', '-5.00', '-500', 'USD'],
    ])
    const xlsx = (await account('POST', '/company_statements/', {format: 'xlsx'})).body
    const file = Buffer.from(await (await fetch((await account('GET', `/company_statements/${xlsx.id}/`)).body.download_url)).arrayBuffer())
    expect(file.subarray(0, 2).toString()).toBe('PK')
    expect((await fetch(ready.download_url.replace(/[0-9a-f]{32}/, '0'.repeat(32)))).status).toBe(404)
    expect((await account('POST', '/company_statements/', {format: 'pdf'})).body.details).toEqual({format: ['"pdf" is not a valid choice.']})
  })
})
