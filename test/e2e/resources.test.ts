/** Clients and tokens, templates and subscribers, invoices, statements and webhooks through the real binary. */
import {readFileSync, readdirSync, existsSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {BRAND, field, human, piped, sandboxCli} from './helpers.js'
import {tempDir} from '../helpers/cli.js'

const ummah = sandboxCli()
const PRODUCT = ['--product', 'Plan:1999', '--currency', 'USD']

async function paidWithToken(email: string): Promise<{purchaseId: string; clientId: string; token: string}> {
  const created = await ummah.json([
    'purchases',
    'create',
    '--brand-id',
    BRAND,
    '--email',
    email,
    '--product',
    'Box:1000',
    '--currency',
    'USD',
    '--force-recurring',
  ])
  await human(ummah, ['sandbox', 'pay', created.id])
  const paid = await ummah.json(['purchases', 'retrieve', created.id])
  return {purchaseId: paid.id, clientId: paid.client.id, token: paid.recurring_token}
}

describe('clients and recurring tokens', () => {
  it('create, list, retrieve, update, patch and delete a client', async () => {
    const view = await human(ummah, [
      'clients',
      'create',
      '--email',
      'amina@example.com',
      '--full-name',
      'Amina K',
      '--phone',
      '+971501234567',
      '--country',
      'ae',
    ])
    expect(field(view, 'country')).toBe('AE')
    const id = field(view, 'id')!

    const table = await piped(ummah, ['clients', 'list'])
    expect(table.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^${id}\\tamina@example\\.com\\tAmina K\\tAE\\t`)))
    expect((await ummah.json(['clients', 'list', '--all'])).results.map((client: {id: string}) => client.id)).toContain(id)

    const replaced = await ummah.json(['clients', 'update', id, '--email', 'amina.k@example.com', '--city', 'Dubai'])
    expect(replaced).toMatchObject({email: 'amina.k@example.com', city: 'Dubai'})
    expect(replaced.full_name).toBeNull()
    const patched = await ummah.json(['clients', 'patch', id, '--data', '{"zip_code": "00000"}', '--full-name', 'Amina Khan'])
    expect(patched).toMatchObject({email: 'amina.k@example.com', full_name: 'Amina Khan', zip_code: '00000', city: 'Dubai'})
    expect(field(await human(ummah, ['clients', 'retrieve', id]), 'full_name')).toBe('Amina Khan')

    const deleted = await ummah(['clients', 'delete', id, '--yes'])
    expect(deleted.code).toBe(0)
    expect(deleted.stderr).toBe(`Deleted client ${id}.\n`)
    expect((await ummah(['clients', 'retrieve', id])).code).toBe(4)
  })

  it('a saved token: retrieve it, charge it one-click, detach it, delete it', async () => {
    const {clientId, token, purchaseId} = await paidWithToken('tokens@example.com')
    expect(field(await human(ummah, ['clients', 'tokens', 'retrieve', clientId, token]), 'description')).toBe('Visa **** 4242')

    const oneClick = await ummah.json([
      'purchases',
      'create',
      '--brand-id',
      BRAND,
      '--email',
      'tokens@example.com',
      '--product',
      'Refill:700',
      '--currency',
      'USD',
      '--recurring-token',
      token,
    ])
    expect(oneClick.status).toBe('paid')

    expect(await ummah.json(['purchases', 'delete-recurring-token', purchaseId, '--yes'])).toEqual({status: 'deleted'})
    expect((await ummah(['clients', 'tokens', 'retrieve', clientId, token])).code).toBe(4)

    const second = await paidWithToken('tokens2@example.com')
    const removed = await ummah(['clients', 'tokens', 'delete', second.clientId, second.token, '--yes'])
    expect(removed.code).toBe(0)
    expect(removed.stderr).toBe(`Deleted token ${second.token}.\n`)
    expect((await ummah(['clients', 'tokens', 'retrieve', second.clientId, second.token, '--json'])).code).toBe(4)
  })
})

describe('templates, subscribers and invoices', () => {
  it('template → subscribe → pay → pause → resume, then update and delete', async () => {
    const client = await ummah.json(['clients', 'create', '--email', 'subscriber@example.com'])
    const view = await human(ummah, [
      'templates',
      'create',
      '--brand-id',
      BRAND,
      ...PRODUCT,
      '--is-subscription',
      '--subscription-period',
      '1',
      '--subscription-period-units',
      'months',
    ])
    expect(field(view, 'is_subscription')).toBe('true')
    expect(field(view, 'total_amount')).toBe('19.99 USD')
    const template = field(view, 'id')!
    expect(await piped(ummah, ['templates', 'list'])).toContain(`${template}\ttrue\t1999\t1\tmonths\t`)

    // Subscribing prints the first purchase's checkout URL, where the subscriber pays.
    const subscribedView = await human(ummah, ['templates', 'subscribe', template, '--client-id', client.id])
    const checkout = /^Checkout URL: (http:\/\/127\.0\.0\.1:\d+\/checkout\/([\w-]+)\/)$/m.exec(subscribedView)
    expect(checkout, subscribedView).not.toBeNull()
    expect(field(subscribedView, 'status')).toBe('pending')
    await human(ummah, ['sandbox', 'pay', checkout![2]])

    const subscribers = await piped(ummah, ['templates', 'subscribers', 'list', template])
    expect(subscribers).toMatch(new RegExp(`\\tsubscriber@example\\.com\\tactive\\t`))
    expect(field(await human(ummah, ['templates', 'subscribers', 'pause', template, client.id]), 'status')).toBe('subscription_paused')
    expect((await ummah.json(['templates', 'subscribers', 'retrieve', template, client.id])).status).toBe('subscription_paused')
    expect((await ummah.json(['templates', 'subscribers', 'resume', template, client.id])).status).toBe('active')
    expect((await ummah.json(['templates', 'subscribers', 'update', template, client.id, '--status', 'subscription_paused'])).status).toBe(
      'subscription_paused',
    )

    const updated = await ummah.json([
      'templates',
      'update',
      template,
      '--product',
      'Plan:2499',
      '--currency',
      'USD',
      '--is-subscription',
      '--subscription-period',
      '2',
      '--subscription-period-units',
      'weeks',
    ])
    expect(updated).toMatchObject({subscription_period: 2, subscription_period_units: 'weeks', purchase: {total_amount: 2499}})
    expect((await ummah.json(['templates', 'retrieve', template])).subscription_period_units).toBe('weeks')
    expect((await ummah(['templates', 'delete', template, '--yes'])).code).toBe(0)
    expect((await ummah(['templates', 'retrieve', template])).code).toBe(4)
  })

  it('send-invoice from a one-time template and invoices send to several clients print checkout URLs', async () => {
    const first = await ummah.json(['clients', 'create', '--email', 'inv1@example.com'])
    const second = await ummah.json(['clients', 'create', '--email', 'inv2@example.com'])
    const template = await ummah.json(['templates', 'create', '--brand-id', BRAND, ...PRODUCT, '--no-is-subscription'])
    expect(template.is_subscription).toBe(false)

    const invoice = await human(ummah, ['templates', 'send-invoice', template.id, '--client-id', first.id])
    expect(invoice).toMatch(/^Checkout URL: http:\/\/127\.0\.0\.1:\d+\/checkout\/[\w-]+\/$/m)

    // POST /billing/ answers one Purchase per client: one table row each, with its own checkout URL.
    const view = await human(ummah, [
      'invoices',
      'send',
      '--brand-id',
      BRAND,
      '--client-id',
      first.id,
      '--client-id',
      second.id,
      '--product',
      'Workshop:15000:2',
      '--currency',
      'EUR',
    ])
    const rows = view.split('\n').filter((line) => /\/checkout\//.test(line))
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatch(/inv1@example\.com.*created.*300\.00 EUR.*http:\/\/127\.0\.0\.1:\d+\/checkout\/[\w-]+\//)
    expect(rows[1]).toMatch(/inv2@example\.com.*created.*300\.00 EUR.*http:\/\/127\.0\.0\.1:\d+\/checkout\/[\w-]+\//)
    expect(
      await piped(ummah, [
        'invoices',
        'send',
        '--brand-id',
        BRAND,
        '--client-id',
        first.id,
        '--client-id',
        second.id,
        '--product',
        'Workshop:15000',
        '--currency',
        'EUR',
      ]),
    ).toMatch(
      /^[\w-]+\tinv1@example\.com\tcreated\t15000\thttp:\/\/\S+\/checkout\/[\w-]+\/\n[\w-]+\tinv2@example\.com\tcreated\t15000\thttp:\/\/\S+\/checkout\/[\w-]+\/\n$/,
    )
    const sent = await ummah.json([
      'invoices',
      'send',
      '--brand-id',
      BRAND,
      '--client-id',
      second.id,
      '--product',
      'Workshop:15000',
      '--currency',
      'EUR',
    ])
    expect(sent).toMatchObject([{client: {email: 'inv2@example.com'}, purchase: {currency: 'EUR', total_amount: 15000}}])
  })

  it('a free trial: subscribe --status subscription_paused prints no checkout URL; resuming starts billing', async () => {
    const client = await ummah.json(['clients', 'create', '--email', 'trial@example.com'])
    const template = await ummah.json([
      'templates',
      'create',
      '--brand-id',
      BRAND,
      ...PRODUCT,
      '--is-subscription',
      '--subscription-period',
      '1',
      '--subscription-period-units',
      'months',
    ])
    const view = await human(ummah, ['templates', 'subscribe', template.id, '--client-id', client.id, '--status', 'subscription_paused'])
    expect(field(view, 'status')).toBe('subscription_paused')
    expect(view).not.toMatch(/Checkout URL/)
    expect((await ummah.json(['templates', 'subscribers', 'resume', template.id, client.id])).status).toBe('active')
  })

  it('a client that does not exist: the API 400 names the field', async () => {
    const template = await ummah.json(['templates', 'create', '--brand-id', BRAND, ...PRODUCT, '--no-is-subscription'])
    const result = await ummah(['templates', 'send-invoice', template.id, '--client-id', '00000000-0000-4000-8000-000000000000'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^ {2}client_id: Client with this ID does not exist\.$/m)
  })
})

describe('statements', () => {
  it('create --wait downloads the file atomically; download fetches an existing one; list and retrieve show them', async () => {
    const dir = tempDir('ummah-statements-')
    const target = join(dir, 'november.csv')
    const created = await ummah(['statements', 'create', '--format', 'csv', '--wait', '-o', target])
    expect(created.code, created.stderr).toBe(0)
    expect(field(created.stdout, 'status')).toBe('completed')
    expect(created.stderr).toBe(`Saved ${target} (${readFileSync(target).length} bytes).\n`)
    expect(readFileSync(target, 'utf8').split(/\r?\n/)[0]).toBe(
      'id,type,status,purchase_id,client_email,amount,amount_minor,currency,method,reference,created_at',
    )
    expect(readdirSync(dir)).toEqual(['november.csv'])

    const scheduled = await ummah.json(['statements', 'create', '--format', 'xlsx', '--timezone', 'Asia/Dubai'])
    expect(scheduled).toMatchObject({status: 'processing', download_url: null, format: 'xlsx'})
    const xlsx = join(dir, 'statement.xlsx')
    const download = await ummah(['statements', 'download', scheduled.id, '-o', xlsx, '--json'])
    expect(download.code, download.stderr).toBe(0)
    expect(JSON.parse(download.stdout)).toMatchObject({id: scheduled.id, status: 'completed'})
    expect(readFileSync(xlsx).subarray(0, 2).toString()).toBe('PK')
    const toStdout = await ummah(['statements', 'download', created.stdout.match(/^id\s+(\S+)$/m)![1], '-o', '-'])
    expect(toStdout.stdout).toBe(readFileSync(target, 'utf8'))

    expect(await piped(ummah, ['statements', 'list'])).toContain(`${scheduled.id}\txlsx\tcompleted\tAsia/Dubai\t`)
    expect(field(await human(ummah, ['statements', 'retrieve', scheduled.id]), 'format')).toBe('xlsx')
  })

  it('cancel a pending statement; downloading it then fails with exit 5 and leaves no file', async () => {
    const dir = tempDir('ummah-statements-')
    const scheduled = await ummah.json(['statements', 'create', '--format', 'csv'])
    expect(await ummah.json(['statements', 'cancel', scheduled.id, '--yes'])).toEqual({status: 'cancelled'})
    const result = await ummah(['statements', 'download', scheduled.id, '-o', join(dir, 'x.csv')])
    expect(result.code).toBe(5)
    expect(result.stderr).toMatch(/^Error: Statement .+ is cancelled: there is nothing to download\./m)
    expect(existsSync(join(dir, 'x.csv'))).toBe(false)
    expect(readdirSync(dir)).toEqual([])
  })

  it('balance, account balance and turnover reflect payments', async () => {
    const balance = await piped(ummah, ['account', 'balance'])
    expect(balance).toMatch(/^USD\t\d+$/m)
    const {balance: rows} = await ummah.json(['balance'])
    expect(rows).toContainEqual({currency: 'USD', amount: expect.any(Number)})
    expect(await piped(ummah, ['account', 'turnover'])).toMatch(/\tUSD\t\d+$/m)
  })
})

describe('webhooks', () => {
  it('create, list, retrieve, update, patch, deliveries, delete; the public key', async () => {
    const view = await human(ummah, [
      'webhooks',
      'create',
      '--callback',
      'http://127.0.0.1:9/hook',
      '--events',
      'purchase.paid,purchase.refunded',
      '--title',
      'Orders',
    ])
    const id = field(view, 'id')!
    expect(field(view, 'events')).toBe('purchase.paid, purchase.refunded')
    expect(field(view, 'public_key')).toBe('-----BEGIN PUBLIC KEY-----')
    expect(await piped(ummah, ['webhooks', 'list'])).toContain(`${id}\tOrders\thttp://127.0.0.1:9/hook\tpurchase.paid,purchase.refunded\tfalse`)

    const patched = await ummah.json(['webhooks', 'patch', id, '--events', 'purchase.cancelled', '--events', 'purchase.paid'])
    expect(patched.events).toEqual(['purchase.cancelled', 'purchase.paid'])
    const replaced = await ummah.json(['webhooks', 'update', id, '--callback', 'http://127.0.0.1:9/other', '--all-events'])
    expect(replaced).toMatchObject({callback: 'http://127.0.0.1:9/other', all_events: true})
    expect((await ummah.json(['webhooks', 'retrieve', id])).title ?? '').toBe('')

    const purchase = await ummah.json([
      'purchases',
      'create',
      '--brand-id',
      BRAND,
      '--email',
      'hooks@example.com',
      '--product',
      'A:100',
      '--currency',
      'USD',
    ])
    await human(ummah, ['sandbox', 'pay', purchase.id])
    const deliveries = await ummah.json(['webhooks', 'deliveries', '--id', purchase.id, '--source-type', 'purchase', '--all'])
    expect(deliveries.results.map((delivery: {event: string}) => delivery.event)).toContain('purchase.paid')

    expect((await ummah(['webhooks', 'delete', id, '--yes'])).code).toBe(0)
    expect((await ummah(['webhooks', 'retrieve', id])).code).toBe(4)
    expect((await ummah.json(['webhooks', 'public-key'])).public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/)
  })
})
