/**
 * The hosted checkout and invoice pages as a shopper sees them, in a real
 * browser: Debian's chromium driven by playwright-core (installed by
 * scripts/system-deps.sh). Each flow asserts what the page shows, where the
 * browser ends up, and the purchase's status through the API.
 */
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {Browser, Page} from 'playwright-core'
import {launchChromium} from '../helpers/browser.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Sandbox} from '../../src/sandbox/server.js'
import {type Call, clientFor, purchaseBody, withSandbox} from '../sandbox/helpers.js'

let browser: Browser
let sandbox: Sandbox
let call: Call
let shop: {url: string; close: () => Promise<unknown>}

beforeAll(async () => {
  sandbox = await withSandbox({merchant: 'Acme Books'})
  call = clientFor(sandbox, 'sk_test_browser')
  // The merchant's own site, where the checkout redirects to.
  const server = createServer((request, response) => response.writeHead(200, {'content-type': 'text/html'}).end(`<h1 id="shop">${request.url}</h1>`))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  shop = {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve))}
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await shop?.close()
  await sandbox?.close()
})

async function purchase(overrides: Record<string, unknown> = {}) {
  const body = purchaseBody({success_redirect: `${shop.url}/success`, failure_redirect: `${shop.url}/failed`, ...overrides})
  return (await call('POST', '/purchases/', body)).body as {id: string; checkout_url: string; invoice_url: string}
}

const statusOf = async (id: string) => (await call('GET', `/purchases/${id}/`)).body.status as string

async function open(url: string, width = 1024): Promise<Page> {
  const context = await browser.newContext({viewport: {width, height: 800}})
  const page = await context.newPage()
  await page.goto(url)
  return page
}

async function pay(page: Page, card: string, expiry = '12/34', cvc = '123'): Promise<void> {
  await page.fill('#card_number', card)
  await page.fill('#expiry', expiry)
  await page.fill('#cvc', cvc)
  await page.click('#pay')
  await page.waitForLoadState('load')
}

describe('hosted checkout in chromium', {timeout: 60_000}, () => {
  it('pays with 4242 and lands on success_redirect; the page names the merchant, not the shopper', async () => {
    const bought = await purchase({client: {email: 'reader@example.com'}})
    const page = await open(bought.checkout_url)
    expect(await page.title()).toBe('Checkout · Acme Books')
    expect(await page.textContent('#merchant')).toBe('Pay Acme Books')
    expect(await page.content()).not.toContain('reader@example.com')
    expect(await page.textContent('#amount')).toContain('29.99')
    await pay(page, '4242 4242 4242 4242')
    expect(page.url()).toBe(`${shop.url}/success`)
    expect(await statusOf(bought.id)).toBe('paid')
    await page.context().close()
  })

  it('shows a decline (0002) on the page with what was typed, lets the shopper try again, and can return to failure_redirect', async () => {
    const bought = await purchase()
    const page = await open(bought.checkout_url)
    await pay(page, '4000 0000 0000 0002')
    expect(page.url()).toBe(bought.checkout_url)
    expect(await page.textContent('[role=alert]')).toBe('Your card was declined. Try another card, or return to the shop.')
    expect(await page.inputValue('#card_number')).toBe('4000 0000 0000 0002')
    expect(await page.inputValue('#expiry')).toBe('12/34')
    expect(await statusOf(bought.id)).toBe('created')
    // Another try with a good card succeeds.
    await pay(page, '4242 4242 4242 4242')
    expect(page.url()).toBe(`${shop.url}/success`)
    expect(await statusOf(bought.id)).toBe('paid')
    await page.context().close()

    const given = await purchase()
    const second = await open(given.checkout_url)
    await pay(second, '4000000000000002')
    await second.click('#return')
    await second.waitForURL(`${shop.url}/failed`)
    expect(await second.textContent('#shop')).toBe('/failed')
    expect(await statusOf(given.id)).toBe('created')
    await second.context().close()
  })

  it('asks for 3-D Secure with 3220: passing pays, failing shows the failure and returns to failure_redirect', async () => {
    const passing = await purchase()
    const page = await open(passing.checkout_url)
    await pay(page, '4000 0000 0000 3220')
    expect(page.url()).toBe(`${sandbox.origin}/checkout/${passing.id}/3ds/`)
    expect(await statusOf(passing.id)).toBe('created')
    await page.click('button[value=pass]')
    await page.waitForURL(`${shop.url}/success`)
    expect(await statusOf(passing.id)).toBe('paid')
    await page.context().close()

    const failing = await purchase()
    const second = await open(failing.checkout_url)
    await pay(second, '4000 0000 0000 3220')
    await second.click('button[value=fail]')
    await second.waitForLoadState('load')
    expect(await second.textContent('[role=alert]')).toContain('3-D Secure failed')
    expect(await statusOf(failing.id)).toBe('created')
    await second.click('#return')
    await second.waitForURL(`${shop.url}/failed`)
    await second.context().close()
  })

  it.each([
    ['an expired card', '4242 4242 4242 4242', '01/20', '123', 'expiry', 'This card has expired.'],
    ['an impossible month', '4242 4242 4242 4242', '13/99', '123', 'expiry', 'Enter the expiry as MM/YY, with a month from 01 to 12.'],
    ['a 1-digit CVC', '4242 4242 4242 4242', '12/34', '1', 'cvc', 'Enter the 3-digit security code.'],
    ['a number failing Luhn', '4242 4242 4242 4241', '12/34', '123', 'card_number', 'Enter a valid card number.'],
  ])('refuses %s with the error next to its field, keeping what was typed, charging nothing', async (_what, card, expiry, cvc, field, message) => {
    const bought = await purchase()
    const page = await open(bought.checkout_url)
    await pay(page, card, expiry, cvc)
    expect(await page.textContent(`#${field}-error`)).toBe(message)
    expect(await page.getAttribute(`#${field}`, 'aria-invalid')).toBe('true')
    expect(await page.getAttribute(`#${field}`, 'aria-describedby')).toBe(`${field}-error`)
    expect(await page.locator('.field-error').count()).toBe(1)
    expect(await page.inputValue('#card_number')).toBe(card)
    expect(await page.inputValue('#expiry')).toBe(expiry)
    expect(await page.inputValue('#cvc')).toBe(cvc)
    expect(await statusOf(bought.id)).toBe('created')
    expect(sandbox.store.account('sk_test_browser').payments.filter((payment) => payment.purchase === bought.id)).toEqual([])
    await page.context().close()
  })

  it('holds its layout at 375 px: nothing wider than the screen, the pay button fully visible', async () => {
    const bought = await purchase({
      purchase: {
        products: [{name: 'A very long product name that would push a fixed layout wider than a phone screen', price: 123_456, quantity: 2}],
        currency: 'USD',
      },
    })
    for (const url of [bought.checkout_url, bought.invoice_url]) {
      const page = await open(url, 375)
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375)
      const button = await page.locator('#pay, #pay-invoice').boundingBox()
      expect(button!.x).toBeGreaterThanOrEqual(0)
      expect(button!.x + button!.width).toBeLessThanOrEqual(375)
      await page.context().close()
    }
  })

  it('shows the invoice with its number, date, merchant, lines and total, and pays from it', async () => {
    const bought = await purchase({
      purchase: {
        products: [
          {name: 'Book', price: 1500, quantity: 2},
          {name: 'Bookmark', price: 250},
        ],
        currency: 'USD',
      },
    })
    const page = await open(bought.invoice_url)
    expect(await page.textContent('#merchant')).toBe('Acme Books')
    expect(await page.textContent('#invoice-number')).toBe(`INV-${bought.id.replaceAll('-', '').slice(0, 8).toUpperCase()}`)
    expect(await page.textContent('#invoice-date')).toBe(new Date().toISOString().slice(0, 10))
    const cells = await page
      .locator('#lines tbody tr')
      .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)))
    expect(cells).toEqual([
      ['Book', '2', '15.00 USD', '30.00 USD'],
      ['Bookmark', '1', '2.50 USD', '2.50 USD'],
    ])
    expect(await page.textContent('#total')).toBe('32.50 USD')
    await page.click('#pay-invoice')
    await page.waitForURL(bought.checkout_url)
    await pay(page, '4242424242424242')
    expect(page.url()).toBe(`${shop.url}/success`)
    expect(await statusOf(bought.id)).toBe('paid')
    await page.context().close()
  })
})
