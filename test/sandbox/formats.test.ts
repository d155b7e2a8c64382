/**
 * Every delivery format the sandbox speaks (`sandbox_delivery.format`),
 * checked by the documents' own verification code
 * (test/fixtures/reference-samples/): the Ummah Event by the reference's Node,
 * Python and PHP replay samples, Numipay's transaction payload by its Node
 * signature sample, UMM Services' Event and request headers by its documented
 * patterns, the generic gateway's events with X-Signature.
 */
import {execFileSync} from 'node:child_process'
import {createVerify} from 'node:crypto'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {basicScheme} from '../../src/schemes/basic.js'
import {ummServicesScheme} from '../../src/schemes/umm-services.js'
import {ROOT} from '../helpers/cli.js'
import {paidPurchase, purchaseBody, useSandbox, clientFor} from './helpers.js'
import {type Hit, receiver, until} from './receiver.js'

const shared = useSandbox()
const SAMPLES = join(ROOT, 'test', 'fixtures', 'reference-samples')
const parse = (hit: Hit) => JSON.parse(hit.body.toString('utf8'))

/** A sandbox account with one webhook of this format and a receiver answering 200. */
async function hooked(key: string, settings: Record<string, unknown>, events: Record<string, unknown> = {all_events: true}) {
  const call = clientFor(shared.sandbox, key)
  const app = await receiver(() => ({status: 200}))
  const webhook = (await call('POST', '/webhooks/', {callback: `${app.url}/hook`, ...events, sandbox_delivery: settings})).body
  expect(webhook.id, JSON.stringify(webhook)).toMatch(/^wh-/)
  return {call, app, webhook}
}

describe('format ummah: the reference verification samples accept every delivery', () => {
  it('Node, Python and PHP replay samples answer 200 "ok" to each delivery, and 403 to a modified body', async () => {
    const {call, app, webhook} = await hooked('sk_test_format_ummah', {format: 'ummah'})
    const paid = await paidPurchase(call)
    await call('POST', `/purchases/${paid.id}/refund/`, {amount: 500})
    await until(() => app.hits.length >= 3, 'created, paid and refunded')
    expect(app.hits.map((hit) => parse(hit).type)).toEqual(['purchase.created', 'purchase.paid', 'purchase.refunded'])
    const env = {...process.env, UMMAH_WEBHOOK_PUBLIC_KEY: webhook.public_key}
    // The sample reads its key from the environment when it loads, as it would in an app.
    process.env.UMMAH_WEBHOOK_PUBLIC_KEY = webhook.public_key
    const {handle} = (await import(join(SAMPLES, 'ummah-replay.mjs'))) as {handle: (raw: Buffer, signature: string) => Promise<[number, string]>}
    for (const hit of app.hits) {
      const signature = hit.headers['x-signature']!
      expect(await handle(hit.body, signature)).toEqual([200, 'ok'])
      expect(
        execFileSync('/usr/bin/python3', [join(SAMPLES, 'ummah-replay.py')], {input: hit.body, env: {...env, X_SIGNATURE: signature}}).toString(),
      ).toBe('200 ok\n')
      expect(execFileSync('php', [join(SAMPLES, 'ummah-replay.php')], {input: hit.body, env: {...env, HTTP_X_SIGNATURE: signature}}).toString()).toBe(
        'ok',
      )
    }
    const forged = Buffer.from(app.hits[1].body.toString().replace('"paid"', '"refunded"'))
    const signature = app.hits[1].headers['x-signature']!
    expect(await handle(forged, signature)).toEqual([403, 'invalid signature'])
    expect(
      execFileSync('/usr/bin/python3', [join(SAMPLES, 'ummah-replay.py')], {input: forged, env: {...env, X_SIGNATURE: signature}}).toString(),
    ).toBe('403 invalid signature\n')
    expect(execFileSync('php', [join(SAMPLES, 'ummah-replay.php')], {input: forged, env: {...env, HTTP_X_SIGNATURE: signature}}).toString()).toBe(
      'invalid signature',
    )
    await app.close()
  })
})

describe('format numipay', () => {
  it('sends the transaction payload, amounts as decimal strings, signed so the document sample computes the same x-signature', async () => {
    const {localSignatureOf} = (await import(join(SAMPLES, 'numipay-signature.mjs'))) as {
      localSignatureOf: (data: unknown, password: string) => string
    }
    // The sample reproduces the document's own worked example first.
    const example = {
      transaction_id: 'r21nmrtpcmrcava',
      user_id: '1111222',
      tracking_id: 'b8f04416-116a-11ed-861d-0242ac120002',
      status: 'rejected',
      currency: 'GBP',
      amount: '200.00',
      transaction_type: 'withdrawal',
    }
    expect(localSignatureOf(example, 'spg_test_companyxxxxQyGAheyMqcHVmp8ZMQtkYcev27sCu7RF')).toBe('5FDDA8F46411C132DCFBEE53C39BA06298CB48BC')

    const password = 'spg_test_sandbox_password'
    const {call, app} = await hooked('sk_test_format_numipay', {format: 'numipay', auth: {scheme: 'sha1-password', secret: password}})
    const paid = await paidPurchase(call)
    await call('POST', `/purchases/${paid.id}/refund/`, {amount: 1500})
    const declined = (await call('POST', '/purchases/', purchaseBody())).body
    await call('POST', `/_sandbox/purchases/${declined.id}/pay`, {card: '4000000000000002'})
    await until(() => app.hits.length >= 5, 'five transaction updates')
    const payloads = app.hits.map(parse)
    for (const [index, hit] of app.hits.entries())
      expect(hit.headers['x-signature'], `delivery ${index}`).toBe(localSignatureOf(payloads[index], password))
    const base = {user_id: paid.client.id, currency: 'USD'}
    expect(payloads).toEqual([
      {transaction_id: paid.id, ...base, tracking_id: paid.id, status: 'pending', amount: '29.99', transaction_type: 'deposit'},
      {transaction_id: paid.id, ...base, tracking_id: paid.id, status: 'successful', amount: '29.99', transaction_type: 'deposit'},
      {transaction_id: paid.id, ...base, tracking_id: paid.id, status: 'successful', amount: '15.00', transaction_type: 'withdrawal'},
      {transaction_id: declined.id, ...base, tracking_id: declined.id, status: 'pending', amount: '29.99', transaction_type: 'deposit'},
      {transaction_id: declined.id, ...base, tracking_id: declined.id, status: 'rejected', amount: '29.99', transaction_type: 'deposit'},
    ])
    // Its keys in the document's order, compact: exactly the bytes JSON.stringify(data) hashes.
    expect(app.hits[0].body.toString()).toBe(JSON.stringify(payloads[0]))
    await app.close()
  })
})

describe('format umm-services', () => {
  it('sends the UMM Event (id of at most 20 alphanumerics, a documented event_type, data) with its request headers and the configured authentication', async () => {
    const {call, app} = await hooked('sk_test_format_umm', {format: 'umm-services', auth: {scheme: 'basic', username: 'umm', password: 'umm-secret'}})
    const paid = await paidPurchase(call)
    await call('POST', `/purchases/${paid.id}/refund/`, {})
    await until(() => app.hits.length >= 3, 'three postings')
    const documented = [
      'moneymovementservices.payment.status_updated',
      'moneymovementservices.payment.payment_updated',
      'moneymovementservices.payment.payment_originated',
      'moneymovementservices.payment.return_received',
      'moneymovementservices.receivedpayment.payment_updated',
      'moneymovementservices.receivedpayment.payment_received',
    ]
    const events = app.hits.map(parse)
    expect(events.map((event) => event.event_type)).toEqual([
      'moneymovementservices.payment.payment_originated',
      'moneymovementservices.payment.status_updated',
      'moneymovementservices.payment.return_received',
    ])
    for (const [index, event] of events.entries()) {
      expect(Object.keys(event).sort()).toEqual(['data', 'event_type', 'id'])
      expect(event.id).toMatch(/^[a-zA-Z0-9]{1,20}$/)
      expect(documented).toContain(event.event_type)
      expect(event.event_type).toMatch(/^[0-9a-zA-Z._-]{0,50}$/)
      expect(event.data).toMatchObject({object: {id: paid.id}})
      // The document's request headers, each against its pattern, and the Basic authentication it describes.
      expect(ummServicesScheme({clientKey: 'UMMSANDBOX'}).verify(app.hits[index])).toEqual({ok: true})
      expect(basicScheme({username: 'umm', password: 'umm-secret'}).verify(app.hits[index])).toEqual({ok: true})
      expect(app.hits[index].headers.authorization).toBe(`Basic ${Buffer.from('umm:umm-secret').toString('base64')}`)
    }
    expect(new Set(events.map((event) => event.id)).size).toBe(3)
    // Its own retry policy by default: hourly for three days.
    const log = (await call('GET', `/webhooks/deliveries/?id=${paid.id}&source_type=purchase`)).body.results
    expect(log.map((record: {event: string}) => record.event)).toContain('moneymovementservices.payment.status_updated')
    await app.close()
  })
})

describe('format generic', () => {
  it('maps clients and purchases onto payment.*, refund.* and customer.* events, each signed with X-Signature', async () => {
    const {call, app, webhook} = await hooked('sk_test_format_generic', {format: 'generic'})
    const client = (await call('POST', '/clients/', {email: 'generic@example.com'})).body
    await call('PATCH', `/clients/${client.id}/`, {full_name: 'Generic Shopper'})
    const paid = await paidPurchase(call, {client: {email: 'generic@example.com'}})
    await call('POST', `/purchases/${paid.id}/refund/`, {amount: 999})
    const failed = (await call('POST', '/purchases/', purchaseBody({client: {email: 'generic@example.com'}}))).body
    await call('POST', `/_sandbox/purchases/${failed.id}/pay`, {card: '4000000000000002'})
    await until(() => app.hits.length >= 6, 'six events')
    const events = app.hits.map(parse)
    expect(events.map((event) => event.event)).toEqual([
      'customer.created',
      'customer.updated',
      'payment.completed',
      'refund.initiated',
      'refund.completed',
      'payment.failed',
    ])
    for (const [index, hit] of app.hits.entries()) {
      const verifier = createVerify('RSA-SHA256')
      verifier.update(hit.body)
      expect(verifier.verify(webhook.public_key, Buffer.from(hit.headers['x-signature']!, 'base64')), `event ${index}`).toBe(true)
      expect(events[index]).toEqual({
        id: expect.stringMatching(/^evt-/),
        event: events[index].event,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        data: expect.any(Object),
      })
    }
    expect(events[1].data).toMatchObject({id: client.id, full_name: 'Generic Shopper'})
    expect(events[2].data).toEqual({
      id: paid.id,
      amount: 2999,
      currency: 'USD',
      status: 'completed',
      customer_id: client.id,
      customer_email: 'generic@example.com',
    })
    expect(events[4].data).toMatchObject({id: paid.id, amount: 999, status: 'completed'})
    expect(new Set(events.map((event) => event.id)).size).toBe(6)
    await app.close()
  })

  it('refuses an unknown format by name, and an Ummah-format webhook never receives client events', async () => {
    const call = clientFor(shared.sandbox, 'sk_test_format_refused')
    const bad = await call('POST', '/webhooks/', {callback: 'https://shop.example/hook', all_events: true, sandbox_delivery: {format: 'stripe'}})
    expect(bad.status).toBe(400)
    expect(bad.body.details).toEqual({'sandbox_delivery.format': ['"stripe" is not a valid choice: ummah, umm-services, numipay, generic.']})
    const {call: ummah, app} = await hooked('sk_test_format_no_clients', {format: 'ummah'})
    await ummah('POST', '/clients/', {email: 'quiet@example.com'})
    await paidPurchase(ummah, {client: {email: 'quiet@example.com'}})
    await until(() => app.hits.length >= 2, 'the purchase events')
    expect(app.hits.map((hit) => parse(hit).type)).toEqual(['purchase.created', 'purchase.paid'])
    await app.close()
  })
})
