import {describe, expect, it} from 'vitest'

import {endpoints} from '../../src/api/endpoints.js'
import {createHandlers} from '../../src/sandbox/handlers/index.js'
import {BRAND, clientFor, paidPurchase, purchaseBody, useSandbox, withSandbox} from './helpers.js'

const shared = useSandbox()

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const PAGE = {results: expect.any(Array), next: null, previous: null}

describe('sandbox contract', () => {
  it('has exactly one handler per documented endpoint', () => {
    expect(Object.keys(createHandlers({statementDelayMs: 0})).sort()).toEqual(endpoints.map((endpoint) => endpoint.id).sort())
  })

  it('answers every documented endpoint with the documented shape', async () => {
    const seen = new Set<string>()
    const expectCall = async (id: string, method: string, path: string, status: number, body?: unknown) => {
      const reply = await shared.call(method, path, body)
      expect(reply.status, `${id}: ${JSON.stringify(reply.body)}`).toBe(status)
      seen.add(id)
      return reply.body
    }

    // Purchases
    const purchase = await expectCall('purchases.create', 'POST', '/purchases/', 201, purchaseBody({force_recurring: true}))
    expect(purchase).toMatchObject({
      id: expect.stringMatching(UUID),
      status: 'created',
      client: {email: 'customer@example.com'},
      purchase: {total_amount: 2999, currency: 'USD'},
      created_on: expect.any(Number),
    })
    expect(purchase.checkout_url).toBe(`${shared.sandbox.origin}/checkout/${purchase.id}/`)
    expect(purchase.invoice_url).toBe(`${shared.sandbox.origin}/invoice/${purchase.id}/`)
    expect(await expectCall('purchases.retrieve', 'GET', `/purchases/${purchase.id}/`, 200)).toMatchObject({id: purchase.id, status: 'created'})
    expect(await expectCall('purchases.resend_invoice', 'POST', `/purchases/${purchase.id}/resend_invoice/`, 200)).toEqual({status: 'sent'})
    await shared.call('POST', `/_sandbox/purchases/${purchase.id}/pay`, {card: '4242424242424242'})
    const paid = (await shared.call('GET', `/purchases/${purchase.id}/`)).body
    expect(paid).toMatchObject({
      status: 'paid',
      payment: {method: 'card', is_recurring_token: false},
      recurring_token: expect.stringMatching(/^tok-/),
    })
    expect(
      await expectCall('purchases.refund', 'POST', `/purchases/${purchase.id}/refund/`, 200, {amount: 1500, reference: 'REFUND-2024-001'}),
    ).toMatchObject({
      id: expect.stringMatching(/^pay-/),
      status: 'refunded',
      amount: 1500,
      currency: 'USD',
      purchase: purchase.id,
      method: 'card',
      created_on: expect.any(Number),
    })
    const clientId = paid.client.id
    expect(
      await expectCall('clients.recurring_tokens.retrieve', 'GET', `/clients/${clientId}/recurring_tokens/${paid.recurring_token}/`, 200),
    ).toEqual({
      id: paid.recurring_token,
      payment_method: 'card',
      description: 'Visa **** 4242',
      created_on: expect.any(Number),
    })
    expect(await expectCall('purchases.delete_recurring_token', 'POST', `/purchases/${purchase.id}/delete_recurring_token/`, 200)).toEqual({
      status: 'deleted',
    })

    const toCancel = (await shared.call('POST', '/purchases/', purchaseBody())).body
    expect(await expectCall('purchases.cancel', 'POST', `/purchases/${toCancel.id}/cancel/`, 200)).toEqual({status: 'cancelled'})
    const held = await paidPurchase(shared.call, {skip_capture: true})
    expect(held.status).toBe('hold')
    expect(await expectCall('purchases.capture', 'POST', `/purchases/${held.id}/capture/`, 200, {amount: 2000})).toMatchObject({
      status: 'paid',
      purchase: {total_amount: 2999},
    })
    const toRelease = await paidPurchase(shared.call, {skip_capture: true})
    expect(await expectCall('purchases.release', 'POST', `/purchases/${toRelease.id}/release/`, 200)).toEqual({status: 'released'})
    const offline = (await shared.call('POST', '/purchases/', purchaseBody())).body
    expect(await expectCall('purchases.mark_as_paid', 'POST', `/purchases/${offline.id}/mark_as_paid/`, 200, {paid_on: 1_700_000_000})).toMatchObject(
      {status: 'paid', paid_on: 1_700_000_000},
    )

    expect(await expectCall('payment_methods.list', 'GET', `/payment_methods/?brand_id=${BRAND}&currency=USD`, 200)).toMatchObject({
      available_payment_methods: ['visa', 'mastercard'],
      card_methods: ['visa', 'mastercard'],
    })
    expect(await expectCall('payout_methods.list', 'GET', `/payout_methods/?brand_id=${BRAND}&currency=USD`, 200)).toMatchObject({
      available_payout_methods: ['visa', 'mastercard'],
    })

    // Clients
    const client = await expectCall('clients.create', 'POST', '/clients/', 201, {
      email: 'client@example.com',
      full_name: 'John Doe',
      phone: '+14155550123',
      country: 'US',
    })
    // Every documented field, null when never set.
    expect(client).toEqual({
      id: expect.stringMatching(UUID),
      email: 'client@example.com',
      full_name: 'John Doe',
      phone: '+14155550123',
      street_address: null,
      country: 'US',
      city: null,
      zip_code: null,
      type: 'personal',
      created_on: expect.any(Number),
    })
    expect(await expectCall('clients.list', 'GET', '/clients/', 200)).toMatchObject(PAGE)
    expect(await expectCall('clients.retrieve', 'GET', `/clients/${client.id}/`, 200)).toEqual(client)
    expect(
      await expectCall('clients.update', 'PUT', `/clients/${client.id}/`, 200, {email: 'updated@example.com', full_name: 'Jane Doe', country: 'GB'}),
    ).toEqual({
      id: client.id,
      email: 'updated@example.com',
      full_name: 'Jane Doe',
      phone: null,
      street_address: null,
      country: 'GB',
      city: null,
      zip_code: null,
      type: 'personal',
      created_on: client.created_on,
    })
    expect(await expectCall('clients.partial_update', 'PATCH', `/clients/${client.id}/`, 200, {full_name: 'Updated Name'})).toMatchObject({
      full_name: 'Updated Name',
      email: 'updated@example.com',
    })

    // Templates, subscribers, invoices
    const template = await expectCall('billing_templates.create', 'POST', '/billing_templates/', 201, {
      brand_id: BRAND,
      is_subscription: true,
      purchase: {products: [{name: 'Monthly Plan', price: 999}], currency: 'USD'},
      subscription_period: 1,
      subscription_period_units: 'months',
    })
    expect(template).toMatchObject({
      id: expect.stringMatching(/^bt-/),
      is_subscription: true,
      purchase: {currency: 'USD', total_amount: 999},
      subscription_period: 1,
      subscription_period_units: 'months',
      brand_id: BRAND,
    })
    expect(await expectCall('billing_templates.list', 'GET', '/billing_templates/', 200)).toMatchObject(PAGE)
    expect(await expectCall('billing_templates.retrieve', 'GET', `/billing_templates/${template.id}/`, 200)).toMatchObject({id: template.id})
    expect(
      await expectCall('billing_templates.update', 'PUT', `/billing_templates/${template.id}/`, 200, {
        purchase: {products: [{name: 'Updated Plan', price: 1299}], currency: 'USD'},
        is_subscription: true,
        subscription_period: 1,
        subscription_period_units: 'months',
      }),
    ).toMatchObject({purchase: {total_amount: 1299}})
    const subscription = await expectCall('billing_templates.add_subscriber', 'POST', `/billing_templates/${template.id}/add_subscriber/`, 201, {
      client_id: client.id,
    })
    expect(subscription).toMatchObject({
      billing_template_client: {id: expect.stringMatching(/^btc-/), client_id: client.id, status: 'pending', created_on: expect.any(Number)},
      purchase: {status: 'created', purchase: {total_amount: 1299}},
    })
    const subscriberId = subscription.billing_template_client.id
    expect(await expectCall('billing_templates.clients.list', 'GET', `/billing_templates/${template.id}/clients/`, 200)).toMatchObject({
      results: [{id: subscriberId, client: {email: 'updated@example.com'}, is_subscription: true, status: 'pending'}],
    })
    await shared.call('POST', `/_sandbox/purchases/${subscription.purchase.id}/pay`, {})
    expect(
      await expectCall('billing_templates.clients.retrieve', 'GET', `/billing_templates/${template.id}/clients/${subscriberId}/`, 200),
    ).toMatchObject({status: 'active', next_billing_on: expect.any(Number)})
    expect(
      await expectCall('billing_templates.clients.update', 'PATCH', `/billing_templates/${template.id}/clients/${client.id}/`, 200, {
        status: 'subscription_paused',
      }),
    ).toMatchObject({status: 'subscription_paused'})
    expect(
      await expectCall('billing_templates.send_invoice', 'POST', `/billing_templates/${template.id}/send_invoice/`, 201, {client_id: client.id}),
    ).toMatchObject({status: 'created', checkout_url: expect.any(String), invoice_url: expect.any(String), purchase: {total_amount: 1299}})
    expect(
      await expectCall('billing.send', 'POST', '/billing/', 201, {
        brand_id: BRAND,
        clients: [{client_id: client.id}],
        purchase: {products: [{name: 'Consulting', price: 50_000}], currency: 'USD'},
      }),
    ).toMatchObject([{status: 'created', purchase: {total_amount: 50_000}}])
    expect(await expectCall('billing_templates.delete', 'DELETE', `/billing_templates/${template.id}/`, 204)).toBeUndefined()

    // Money
    const balance = await expectCall('balance.retrieve', 'GET', '/balance/', 200)
    expect(balance).toEqual({balance: [{currency: 'USD', amount: 2999 - 1500 + 2000 + 2999 + 1299}]})
    expect(await expectCall('account.balance', 'GET', '/account/json/balance/', 200)).toEqual(balance)
    expect(await expectCall('account.turnover', 'GET', '/account/json/turnover/', 200)).toMatchObject({
      turnover: [{currency: 'USD', paid_amount: 2999 + 2000 + 2999 + 1299, period: expect.stringMatching(/^\d{4}-\d{2}$/)}],
    })
    const statement = await expectCall('company_statements.create', 'POST', '/company_statements/', 201, {format: 'csv', timezone: 'UTC'})
    expect(statement).toMatchObject({id: expect.stringMatching(/^stmt-/), type: 'company', format: 'csv', timezone: 'UTC'})
    expect(await expectCall('company_statements.list', 'GET', '/company_statements/', 200)).toMatchObject(PAGE)
    expect(await expectCall('company_statements.retrieve', 'GET', `/company_statements/${statement.id}/`, 200)).toMatchObject({
      status: 'completed',
      download_url: expect.stringContaining('/files/statements/'),
    })
    const slow = await withSandbox({statementDelayMs: 60_000})
    const slowCall = clientFor(slow)
    const pending = (await slowCall('POST', '/company_statements/', {format: 'xlsx'})).body
    expect(pending).toMatchObject({status: 'processing', download_url: null})
    expect((await slowCall('POST', `/company_statements/${pending.id}/cancel/`)).body).toEqual({status: 'cancelled'})
    seen.add('company_statements.cancel')
    await slow.close()

    // Webhooks
    const webhook = await expectCall('webhooks.create', 'POST', '/webhooks/', 201, {
      callback: 'https://mysite.example/webhook',
      title: 'Order Notifications',
      events: ['purchase.paid', 'purchase.payment_failure'],
    })
    expect(webhook).toEqual({
      id: expect.stringMatching(/^wh-/),
      title: 'Order Notifications',
      callback: 'https://mysite.example/webhook',
      events: ['purchase.paid', 'purchase.payment_failure'],
      all_events: false,
      public_key: expect.stringContaining('-----BEGIN PUBLIC KEY-----'),
      created_on: expect.any(Number),
    })
    expect(await expectCall('webhooks.list', 'GET', '/webhooks/', 200)).toMatchObject({results: [{id: webhook.id}]})
    expect(await expectCall('webhooks.retrieve', 'GET', `/webhooks/${webhook.id}/`, 200)).toEqual(webhook)
    expect(
      await expectCall('webhooks.update', 'PUT', `/webhooks/${webhook.id}/`, 200, {
        callback: 'https://mysite.example/new-webhook',
        title: 'Updated Webhook',
        all_events: true,
      }),
    ).toMatchObject({callback: 'https://mysite.example/new-webhook', all_events: true, events: []})
    expect(await expectCall('webhooks.partial_update', 'PATCH', `/webhooks/${webhook.id}/`, 200, {title: 'Renamed Webhook'})).toMatchObject({
      title: 'Renamed Webhook',
      all_events: true,
    })
    expect(await expectCall('webhooks.deliveries', 'GET', `/webhooks/deliveries/?id=${purchase.id}&source_type=purchase`, 200)).toMatchObject(PAGE)
    expect(await expectCall('webhooks.delete', 'DELETE', `/webhooks/${webhook.id}/`, 204)).toBeUndefined()
    expect((await expectCall('public_key.retrieve', 'GET', '/public_key/', 200)).public_key).toMatch(
      /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n?$/,
    )

    // Deletes last
    expect(
      await expectCall(
        'clients.recurring_tokens.delete',
        'DELETE',
        `/clients/${clientId}/recurring_tokens/${subscription.purchase.recurring_token ?? 'x'}/`,
        404,
      ),
    ).toEqual({error: 'Not Found', detail: 'Object with this ID does not exist.'})
    const token = (await shared.call('GET', `/purchases/${subscription.purchase.id}/`)).body.recurring_token
    expect(await expectCall('clients.recurring_tokens.delete', 'DELETE', `/clients/${client.id}/recurring_tokens/${token}/`, 204)).toBeUndefined()
    expect(await expectCall('clients.delete', 'DELETE', `/clients/${client.id}/`, 204)).toBeUndefined()
    expect((await shared.call('GET', `/clients/${client.id}/`)).status).toBe(404)

    expect([...seen].sort()).toEqual(endpoints.map((endpoint) => endpoint.id).sort())
  })

  it('follows next links across pages', async () => {
    const other = clientFor(shared.sandbox, 'sk_test_pages')
    for (let index = 0; index < 5; index++) await other('POST', '/clients/', {email: `c${index}@example.com`})
    const first = (await other('GET', '/clients/?page_size=2')).body
    expect(first.results.map((c: {email: string}) => c.email)).toEqual(['c4@example.com', 'c3@example.com'])
    const second = (await other('GET', first.next)).body
    expect(second.results.map((c: {email: string}) => c.email)).toEqual(['c2@example.com', 'c1@example.com'])
    const third = (await other('GET', second.next)).body
    expect(third).toMatchObject({results: [{email: 'c0@example.com'}], next: null, previous: expect.stringContaining('page=2')})
  })
})
