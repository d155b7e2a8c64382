/** The purchase lifecycle through the real binary against the sandbox, in table and --json form. */
import {chmodSync, readFileSync, writeFileSync, existsSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {SANDBOX_BRAND_ID} from '../../src/config/store.js'
import {tempConfigDir, tempDir} from '../helpers/cli.js'
import {BRAND, field, human, piped, sandboxCli} from './helpers.js'
import {until} from '../helpers/wait.js'

const ummah = sandboxCli()
const CREATE = [
  'purchases',
  'create',
  '--brand-id',
  BRAND,
  '--email',
  'buyer@example.com',
  '--product',
  'T-Shirt:2999',
  '--product',
  'Socks:500:2',
  '--currency',
  'USD',
]

async function created(extra: string[] = []): Promise<string> {
  const purchase = await ummah.json([
    'purchases',
    'create',
    '--brand-id',
    BRAND,
    '--email',
    'buyer@example.com',
    '--product',
    'T-Shirt:2999',
    '--currency',
    'USD',
    ...extra,
  ])
  return purchase.id
}

async function pay(id: string): Promise<void> {
  await human(ummah, ['sandbox', 'pay', id])
}

describe('purchases through the binary', () => {
  it('create prints the purchase with money formatted and the checkout URL; --json is the API object', async () => {
    const view = await human(ummah, CREATE)
    expect(field(view, 'status')).toBe('created')
    expect(field(view, 'total_amount')).toBe('39.99 USD')
    const id = field(view, 'id')!
    expect(view).toMatch(new RegExp(`^Checkout URL: http://127\\.0\\.0\\.1:\\d+/checkout/${id}/$`, 'm'))

    const json = await ummah.json(CREATE)
    expect(json.purchase.products).toEqual([
      {name: 'T-Shirt', price: 2999, quantity: 1},
      {name: 'Socks', price: 500, quantity: 2},
    ])
    expect(json.checkout_url).toMatch(/\/checkout\//)
    expect(json.client.email).toBe('buyer@example.com')
  })

  it('create → pay → refund partially twice', async () => {
    const id = await created()
    await pay(id)
    expect(field(await human(ummah, ['purchases', 'retrieve', id]), 'status')).toBe('paid')
    // Piped, the same object is path<TAB>raw value lines, for scripts.
    const raw = (await piped(ummah, ['purchases', 'retrieve', id])).split('\n')
    expect(raw).toContain('status\tpaid')
    expect(raw).toContain('purchase.total_amount\t2999')
    expect(raw).toContain('purchase.products.0.name\tT-Shirt')
    expect(raw).toContainEqual(expect.stringMatching(/^paid_on\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/))
    expect(raw.some((line) => line.startsWith('Checkout URL'))).toBe(false)

    const first = await human(ummah, ['purchases', 'refund', id, '--amount', '500', '--reference', 'r-1', '--yes'])
    expect(field(first, 'type')).toBe('refund')
    expect(field(first, 'amount')).toBe('5.00 USD')
    const second = await ummah.json(['purchases', 'refund', id, '--amount', '700', '--yes'])
    expect(second).toMatchObject({type: 'refund', amount: 700, purchase: id})
    const purchase = await ummah.json(['purchases', 'retrieve', id])
    expect(purchase).toMatchObject({status: 'refunded', refunded_amount: 1200})
  })

  it('create --skip-capture → pay → capture partially', async () => {
    const id = await created(['--skip-capture'])
    await pay(id)
    expect((await ummah.json(['purchases', 'retrieve', id])).status).toBe('hold')
    const view = await human(ummah, ['purchases', 'capture', id, '--amount', '1500'])
    expect(field(view, 'status')).toBe('paid')
    expect(field(view, 'captured_amount')).toBe('15.00 USD')
  })

  it('release a held purchase and cancel an unpaid one; acting again is a conflict (exit 5)', async () => {
    const held = await created(['--skip-capture'])
    await pay(held)
    expect(await ummah.json(['purchases', 'release', held, '--yes'])).toEqual({status: 'released'})
    expect((await ummah.json(['purchases', 'retrieve', held])).status).toBe('released')

    const unpaid = await created()
    const cancelled = await human(ummah, ['purchases', 'cancel', unpaid, '--yes'])
    expect(field(cancelled, 'status')).toBe('cancelled')
    const again = await ummah(['purchases', 'cancel', unpaid, '--yes'])
    expect(again.code).toBe(5)
    // The status said once: the gateway's message names it, so the hint does not repeat it.
    expect(again.stderr).toBe('Error: Conflict (409): Cannot cancel a purchase in status "cancelled". Nothing was changed.\n')
  })

  it('mark-paid with a date, resend-invoice, and a missing purchase (exit 4)', async () => {
    const id = await created()
    const paid = await ummah.json(['purchases', 'mark-paid', id, '--paid-on', '2026-11-20T10:00:00Z'])
    expect(paid.status).toBe('paid')
    expect(paid.paid_on).toBe(Date.UTC(2026, 10, 20, 10) / 1000)
    expect(await ummah.json(['purchases', 'resend-invoice', id])).toEqual({status: 'sent'})

    const missing = await ummah(['purchases', 'retrieve', '00000000-0000-4000-8000-000000000000'])
    expect(missing.code).toBe(4)
    expect(missing.stderr).toMatch(/^Error: Not found: GET \/purchases\/00000000-0000-4000-8000-000000000000\/ \(404\)/m)
    const missingJson = await ummah(['purchases', 'retrieve', '00000000-0000-4000-8000-000000000000', '--json'])
    expect(missingJson.code).toBe(4)
    expect(JSON.parse(missingJson.stdout).error).toMatchObject({code: 'not_found', status: 404})
  })

  it('an API 400 prints each field error and exits 2', async () => {
    const id = await created()
    await pay(id)
    const result = await ummah(['purchases', 'refund', id, '--amount', '999999', '--yes'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^Error: The gateway rejected POST \/purchases\/.+\/refund\/ \(400\): 1 field invalid/m)
    expect(result.stderr).toMatch(/^ {2}amount: Ensure this value is less than or equal to the refundable amount \(2999\)\.$/m)
  })

  it('--open hands the checkout URL to $BROWSER, a command line with its own arguments', async () => {
    const dir = tempDir('ummah-open-')
    const browser = join(dir, 'browser.sh')
    const opened = join(dir, 'opened.txt')
    // Every argument on its own line: the flag $BROWSER carries, then the URL, whole.
    writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$@" > "${opened}"\n`)
    chmodSync(browser, 0o755)
    const result = await ummah([...CREATE, '--open', '--json'], {env: {BROWSER: `${browser} --new-tab`}})
    expect(result.code).toBe(0)
    const {checkout_url: url} = JSON.parse(result.stdout)
    await until(() => existsSync(opened) && readFileSync(opened, 'utf8') === `--new-tab\n${url}\n`, 'the browser to be given the checkout URL', 5000)
  })

  it("--brand-id falls back to the profile's brand_id", async () => {
    const env = {UMMAH_CONFIG_DIR: tempConfigDir()}
    expect((await ummah(['config', 'set', 'brand_id', BRAND], {env})).code).toBe(0)
    const result = await ummah(['purchases', 'create', '--email', 'brandless@example.com', '--product', 'A:100', '--currency', 'USD', '--json'], {
      env,
    })
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).brand_id).toBe(BRAND)
  })

  it('the built-in sandbox profile carries a brand, so the README examples run without --brand-id', async () => {
    // --api-base: the test sandbox is on a free port, not the profile's 8420.
    const result = await ummah(
      ['purchases', 'create', '--profile', 'sandbox', '--email', 'readme@example.com', '--product', 'T-Shirt:2999', '--currency', 'USD', '--json'],
      {env: {UMMAH_CONFIG_DIR: tempConfigDir()}},
    )
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).brand_id).toBe(SANDBOX_BRAND_ID)
  })

  it('payment and payout methods for a brand and currency', async () => {
    const methods = await ummah.json(['payment-methods', 'list', '--brand-id', BRAND, '--currency', 'USD'])
    expect(methods.available_payment_methods).toContain('visa')
    const view = await human(ummah, ['payout-methods', 'list', '--brand-id', BRAND, '--currency', 'USD'])
    expect(field(view, 'available_payout_methods')).toBe('visa, mastercard')
  })
})
