/**
 * The sandbox against the API reference's own examples, where it used to
 * differ (#15): POST /billing/ answers an array, PUT /billing_templates/ takes
 * its documented example, the subscription lifecycle with a free trial runs
 * end to end, events carry real time while objects follow the test clock, a
 * scoped advance moves one client only, every documented field is present
 * (null when unset), Event payloads carry `type` and `event`, and UMM Services
 * postings succeed on 200 only.
 */
import {describe, expect, it} from 'vitest'

import type {PurchaseRecord} from '../../src/sandbox/store.js'
import {BRAND, clientFor, paidPurchase, paidSubscriber, purchaseBody, useSandbox, withSandbox} from './helpers.js'
import {receiver, until} from './receiver.js'

const shared = useSandbox()
const PLAN = {
  brand_id: BRAND,
  is_subscription: true,
  purchase: {products: [{name: 'Monthly Plan', price: 999}], currency: 'USD'},
  subscription_period: 1,
  subscription_period_units: 'months',
}
const nowSeconds = () => Math.floor(Date.now() / 1000)

describe('documented examples the sandbox now answers as the reference does', () => {
  it('POST /billing/ answers an array: one Purchase, with its own checkout link, per client, in order', async () => {
    const call = clientFor(shared.sandbox, 'sk_test_ref_billing')
    const first = (await call('POST', '/clients/', {email: 'first@example.com', full_name: 'First'})).body
    const second = (await call('POST', '/clients/', {email: 'second@example.com'})).body
    const reply = await call('POST', '/billing/', {
      brand_id: BRAND,
      clients: [{client_id: first.id}, {client_id: second.id}],
      purchase: {products: [{name: 'Consulting', price: 50_000}], currency: 'USD'},
    })
    expect(reply.status).toBe(201)
    expect(Array.isArray(reply.body)).toBe(true)
    expect(reply.body).toHaveLength(2)
    expect(reply.body.map((purchase: {client: {email: string}}) => purchase.client.email)).toEqual(['first@example.com', 'second@example.com'])
    expect(reply.body[0]).toMatchObject({
      status: 'created',
      client: {email: 'first@example.com', full_name: 'First'},
      purchase: {total_amount: 50_000, currency: 'USD'},
      created_on: expect.any(Number),
    })
    const links = reply.body.map((purchase: {id: string; checkout_url: string; invoice_url: string}) => {
      expect(purchase.checkout_url).toBe(`${shared.sandbox.origin}/checkout/${purchase.id}/`)
      expect(purchase.invoice_url).toBe(`${shared.sandbox.origin}/invoice/${purchase.id}/`)
      return purchase.checkout_url
    })
    expect(new Set(links).size).toBe(2)
  })

  it('PUT /billing_templates/{id}/ takes the documented example (purchase and is_subscription only); fields not given take their defaults', async () => {
    const call = clientFor(shared.sandbox, 'sk_test_ref_put')
    const template = (
      await call('POST', '/billing_templates/', {...PLAN, subscription_period: 2, subscription_period_units: 'weeks', number_of_billing_cycles: 3})
    ).body
    const documented = {purchase: {products: [{name: 'Updated Plan', price: 1299}], currency: 'USD'}, is_subscription: true}
    const replaced = await call('PUT', `/billing_templates/${template.id}/`, documented)
    expect(replaced.status).toBe(200)
    expect(replaced.body).toEqual({
      id: template.id,
      brand_id: BRAND,
      is_subscription: true,
      subscription_period: 1,
      subscription_period_units: 'months',
      number_of_billing_cycles: 0,
      purchase: {products: [{name: 'Updated Plan', price: 1299, quantity: 1}], currency: 'USD', total_amount: 1299},
      created_on: template.created_on,
    })
    const oneTime = await call('PUT', `/billing_templates/${template.id}/`, {
      purchase: {products: [{name: 'Once', price: 500}]},
      is_subscription: false,
    })
    expect(oneTime.body).toMatchObject({
      is_subscription: false,
      subscription_period: null,
      subscription_period_units: null,
      purchase: {currency: 'USD', total_amount: 500},
    })
    // Creating still needs the period: the table marks it required when is_subscription is true.
    const incomplete = await call('POST', '/billing_templates/', {
      brand_id: BRAND,
      is_subscription: true,
      purchase: {products: [{name: 'P', price: 1}]},
    })
    expect(incomplete.body.details).toEqual({
      subscription_period: ['This field is required when is_subscription is true.'],
      subscription_period_units: ['This field is required when is_subscription is true.'],
    })
  })

  it('runs the whole subscription lifecycle with a free trial: Plan → Subscriber (paused) → Active → Renewal → Paused ⇄ Active → Failed', async () => {
    const key = 'sk_test_ref_lifecycle'
    const call = clientFor(shared.sandbox, key)
    const template = (await call('POST', '/billing_templates/', PLAN)).body
    const client = (await call('POST', '/clients/', {email: 'trial@example.com'})).body
    const subscriberPath = `/billing_templates/${template.id}/clients/${client.id}/`

    // "Set status: subscription_paused if starting a free trial": no purchase until billing starts.
    const trial = await call('POST', `/billing_templates/${template.id}/add_subscriber/`, {client_id: client.id, status: 'subscription_paused'})
    expect(trial.status).toBe(201)
    expect(trial.body).toEqual({
      billing_template_client: {
        id: expect.stringMatching(/^btc-/),
        client_id: client.id,
        status: 'subscription_paused',
        created_on: expect.any(Number),
      },
      purchase: null,
    })
    expect((await call('POST', '/_sandbox/advance', {duration: '40d'})).body.renewals).toBe(0)
    expect((await call('GET', subscriberPath)).body).toMatchObject({status: 'subscription_paused', next_billing_on: null})

    // The trial ends: PATCH active starts billing with a first purchase for the shopper to pay.
    const started = await call('PATCH', subscriberPath, {status: 'active'})
    expect(started.status).toBe(200)
    expect(started.body).toMatchObject({
      id: trial.body.billing_template_client.id,
      status: 'active',
      is_subscription: true,
      client: {email: 'trial@example.com'},
    })
    const account = shared.sandbox.store.account(key)
    const first = Object.values(account.purchases).find(
      (purchase: PurchaseRecord) => purchase.billing_template_client_id === trial.body.billing_template_client.id,
    )!
    expect(first).toMatchObject({status: 'created', force_recurring: true, purchase: {total_amount: 999}})
    await call('POST', `/_sandbox/purchases/${first.id}/pay`, {card: '4242424242424242'})
    const active = (await call('GET', subscriberPath)).body
    expect(active.status).toBe('active')
    expect(active.next_billing_on).toBeGreaterThan(nowSeconds() + 40 * 86_400 + 27 * 86_400)

    // Billing cycle: renewal charged on the saved token.
    expect((await call('POST', '/_sandbox/advance', {duration: '32d'})).body.renewals).toBe(1)
    const renewed = (await call('GET', subscriberPath)).body
    expect(renewed.status).toBe('active')
    expect(renewed.next_billing_on).toBeGreaterThan(active.next_billing_on)

    // Active → Paused: nothing is charged; Paused → Active: billing resumes where it was due.
    expect((await call('PATCH', subscriberPath, {status: 'subscription_paused'})).body.status).toBe('subscription_paused')
    expect((await call('POST', '/_sandbox/advance', {duration: '32d'})).body.renewals).toBe(0)
    expect((await call('PATCH', subscriberPath, {status: 'active'})).body.status).toBe('active')
    expect((await call('POST', '/_sandbox/advance', {duration: '1d'})).body.renewals).toBeGreaterThanOrEqual(1)

    // Renewal → Failed: a saved card that declines later; a failed subscription can no longer be changed.
    const risky = (await call('POST', '/clients/', {email: 'risky@example.com'})).body
    const riskyPath = `/billing_templates/${template.id}/clients/${risky.id}/`
    const subscribed = (await call('POST', `/billing_templates/${template.id}/add_subscriber/`, {client_id: risky.id})).body
    expect(subscribed.billing_template_client.status).toBe('pending')
    await call('POST', `/_sandbox/purchases/${subscribed.purchase.id}/pay`, {card: '4000000000000341'})
    expect((await call('GET', riskyPath)).body.status).toBe('active')
    await call('POST', '/_sandbox/advance', {duration: '32d'})
    expect((await call('GET', riskyPath)).body.status).toBe('failed')
    const refused = await call('PATCH', riskyPath, {status: 'active'})
    expect(refused.status).toBe(409)
    expect(refused.body).toMatchObject({error: 'Conflict', status: 'failed'})
  })

  it('stamps events with real time while objects follow the test clock: the reference replay check accepts renewal events', async () => {
    const call = clientFor(shared.sandbox, 'sk_test_ref_clock')
    const app = await receiver(() => ({status: 200}))
    await call('POST', '/webhooks/', {callback: `${app.url}/hook`, all_events: true})
    const template = (await call('POST', '/billing_templates/', PLAN)).body
    const client = (await call('POST', '/clients/', {email: 'clock@example.com'})).body
    const {purchase} = (await call('POST', `/billing_templates/${template.id}/add_subscriber/`, {client_id: client.id})).body
    await call('POST', `/_sandbox/purchases/${purchase.id}/pay`, {})
    expect((await call('POST', '/_sandbox/advance', {duration: '32d'})).body.renewals).toBe(1)
    const renewalOf = () =>
      app.hits.map((hit) => JSON.parse(hit.body.toString())).find((event) => event.type === 'purchase.paid' && event.object.id !== purchase.id)
    await until(() => renewalOf() !== undefined, 'the renewal event')
    const renewal = renewalOf()
    // The reference's replay check: created_on within 10 minutes of now.
    expect(Math.abs(nowSeconds() - renewal.created_on)).toBeLessThanOrEqual(10 * 60)
    // The renewal purchase itself lives on the test clock, 32 days ahead.
    expect(renewal.object.created_on - nowSeconds()).toBeGreaterThan(31 * 86_400)
    const log = (await call('GET', `/webhooks/deliveries/?id=${renewal.object.id}&source_type=purchase`)).body.results
    expect(log.length).toBeGreaterThan(0)
    for (const record of log) expect(Math.abs(nowSeconds() - record.sent_at)).toBeLessThanOrEqual(60)
    await app.close()
  })

  it('a scoped advance (client_id) moves that client only: other subscriptions and the account clock stay put', async () => {
    const call = clientFor(shared.sandbox, 'sk_test_ref_scoped')
    const template = (await call('POST', '/billing_templates/', PLAN)).body
    const subscribe = (email: string, card: string) => paidSubscriber(call, template.id, email, card)
    const bystander = await subscribe('bystander@example.com', '4242424242424242')
    const bystanderBefore = (await call('GET', `/billing_templates/${template.id}/clients/${bystander.id}/`)).body
    const clockBefore = (await call('GET', '/_sandbox/clock')).body.now
    for (let run = 0; run < 3; run++) {
      const target = await subscribe(`target${run}@example.com`, '4000000000000341')
      const advanced = await call('POST', '/_sandbox/advance', {duration: '32d', client_id: target.id})
      expect(advanced.body).toMatchObject({client_id: target.id, renewals: 1})
      expect((await call('GET', `/billing_templates/${template.id}/clients/${target.id}/`)).body.status).toBe('failed')
    }
    expect(Math.abs((await call('GET', '/_sandbox/clock')).body.now - clockBefore)).toBeLessThan(5)
    expect((await call('GET', `/billing_templates/${template.id}/clients/${bystander.id}/`)).body).toEqual(bystanderBefore)
    expect((await call('POST', '/_sandbox/advance', {duration: '1d', client_id: '00000000-0000-4000-8000-000000000000'})).status).toBe(400)
  })

  it('gives every object every documented field, null when never set', async () => {
    const call = clientFor(shared.sandbox, 'sk_test_ref_nulls')
    const client = (await call('POST', '/clients/', {email: 'only@example.com'})).body
    expect(client).toEqual({
      id: expect.any(String),
      email: 'only@example.com',
      full_name: null,
      phone: null,
      street_address: null,
      country: null,
      city: null,
      zip_code: null,
      type: 'personal',
      created_on: expect.any(Number),
    })
    const patched = (await call('PATCH', `/clients/${client.id}/`, {phone: '+14155550123'})).body
    expect(patched).toMatchObject({phone: '+14155550123', full_name: null, country: null})
    const put = (await call('PUT', `/clients/${client.id}/`, {email: 'only@example.com', full_name: 'Only'})).body
    expect(put).toMatchObject({full_name: 'Only', phone: null})
    expect(Object.keys(put).sort()).toEqual(Object.keys(client).sort())

    const oneTime = (
      await call('POST', '/billing_templates/', {
        brand_id: BRAND,
        is_subscription: false,
        purchase: {products: [{name: 'Once', price: 100}], currency: 'USD'},
      })
    ).body
    expect(oneTime).toMatchObject({subscription_period: null, subscription_period_units: null, number_of_billing_cycles: 0})

    const purchase = (await call('POST', '/purchases/', purchaseBody({client: {email: 'buyer@example.com'}}))).body
    expect(purchase).toMatchObject({
      success_redirect: null,
      failure_redirect: null,
      success_callback: null,
      recurring_token: null,
      payment: null,
      client: {email: 'buyer@example.com', full_name: null},
    })
  })

  it('Event payloads carry `type` (the Event object, the verification samples) and `event` (the deliveries example), the same name', async () => {
    const call = clientFor(shared.sandbox, 'sk_test_ref_event_field')
    const app = await receiver(() => ({status: 200}))
    await call('POST', '/webhooks/', {callback: `${app.url}/hook`, events: ['purchase.paid']})
    const paid = await paidPurchase(call)
    await until(() => app.hits.length >= 1, 'purchase.paid')
    const sent = JSON.parse(app.hits[0].body.toString())
    expect(sent).toEqual({
      id: expect.stringMatching(/^evt-/),
      type: 'purchase.paid',
      event: 'purchase.paid',
      created_on: expect.any(Number),
      object: expect.objectContaining({id: paid.id, status: 'paid'}),
    })
    const log = (await call('GET', `/webhooks/deliveries/?id=${paid.id}&source_type=purchase`)).body
    expect(log.results[0]).toMatchObject({
      id: expect.any(String),
      event: 'purchase.paid',
      status: 'delivered',
      response_code: 200,
      sent_at: expect.any(Number),
      payload: {event: 'purchase.paid', type: 'purchase.paid', object: {id: paid.id}},
    })
    expect(log.results[0].payload).toEqual(sent)
    await app.close()
  })

  it('UMM Services postings succeed on HTTP 200 only: a 202 under hourly-3d is re-posted with the same event id', async () => {
    const sandbox = await withSandbox({timeScale: 72_000})
    const call = clientFor(sandbox, 'sk_test_ref_umm_200')
    let answered = 0
    const app = await receiver(() => ({status: answered++ === 0 ? 202 : 200}))
    await call('POST', '/webhooks/', {
      callback: `${app.url}/hook`,
      events: ['purchase.created'],
      sandbox_delivery: {format: 'umm-services', auth: {scheme: 'umm-services', client_key: 'CLIAAADDD0910'}},
    })
    const purchase = (await call('POST', '/purchases/', purchaseBody())).body
    await until(() => app.hits.length >= 2, 'the re-posting')
    const [first, second] = app.hits.map((hit) => JSON.parse(hit.body.toString()))
    expect(second.id).toBe(first.id)
    expect(app.hits[1].headers.idempotent_request_key).toBe(app.hits[0].headers.idempotent_request_key)
    const log = (await call('GET', `/webhooks/deliveries/?id=${purchase.id}&source_type=purchase`)).body.results
    expect(
      log.map((record: {attempt: number; status: string; response_code: number}) => [record.attempt, record.status, record.response_code]).sort(),
    ).toEqual([
      [1, 'retrying', 202],
      [2, 'delivered', 200],
    ])
    // The document's own client_key example (13 characters) is accepted; one past the rule is refused at the door.
    const tooLong = await call('POST', '/webhooks/', {
      callback: `${app.url}/x`,
      all_events: true,
      sandbox_delivery: {auth: {scheme: 'umm-services', client_key: 'A'.repeat(21)}},
    })
    expect(tooLong.status).toBe(400)
    expect(tooLong.body.details).toEqual({'sandbox_delivery.auth.client_key': ['The client_key header must be 1 to 20 letters or digits.']})
    await app.close()
    await sandbox.close()
  })
})
