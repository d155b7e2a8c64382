/**
 * The hosted pages a shopper sees, and their requests: the checkout (a card
 * form validated like a real one, each error next to its field, what was
 * typed kept), the 3-D Secure step of 4000 0000 0000 3220, a decline shown on
 * the page with another try and a way back to the merchant, then a redirect
 * to the purchase's success_redirect / failure_redirect (or a result page);
 * and the invoice. Pages name the merchant, never the shopper, and hold at
 * 375 px wide.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'

import {formatMoney} from '../shared/money.js'
import {notFound} from './errors.js'
import {redirect, sendHtml} from './http.js'
import {type CardOutcome, type Context, type PurchaseRecord, cardOutcome, checkout, completeThreeDSecure} from './payments.js'

export interface HostedSettings {
  /** The name the pages show as the merchant (the brand). */
  merchant: string
  /** The purchase and its account's context, for a hosted page's id. */
  purchase(id: string): {context: Context; purchase: PurchaseRecord} | undefined
}

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
*{box-sizing:border-box}body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;padding:1rem;color:#1b2430}
main{max-width:28rem;margin:1rem auto;background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 2px 12px #0002;overflow-wrap:anywhere}
h1{font-size:1.3rem;margin:.4rem 0}.amount{font-size:2rem;font-weight:600;margin:.5rem 0 1rem}
label{display:block;margin:.8rem 0 .2rem;font-size:.9rem}input{width:100%;padding:.6rem;font-size:1rem;border:1px solid #bbc;border-radius:6px}
input[aria-invalid=true]{border-color:#a33}.row{display:flex;gap:.8rem}.row>div{flex:1;min-width:0}
button,.button{display:block;text-align:center;margin-top:1.2rem;width:100%;padding:.8rem;font-size:1rem;border:0;border-radius:6px;background:#0a7d4f;color:#fff;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#667}.alert{background:#fde8e8;color:#8a1f1f;border-radius:6px;padding:.7rem;font-weight:600}
.field-error{color:#a33;font-size:.85rem;margin:.2rem 0 0}.note{color:#667;font-size:.85rem}
table{width:100%;border-collapse:collapse;font-size:.9rem}td,th{padding:.4rem .2rem;border-bottom:1px solid #e3e6ea;text-align:left}td.num,th.num{text-align:right}
.badge{display:inline-block;background:#ffe9a8;border-radius:4px;padding:.1rem .4rem;font-size:.75rem}.merchant{color:#556;font-weight:600}
</style></head>
<body><main><span class="badge">SANDBOX · test mode</span>${body}</main></body></html>`
}

const money = (purchase: PurchaseRecord, amount: number) => escape(formatMoney(amount, purchase.purchase.currency))

function summary(purchase: PurchaseRecord, merchant: string): string {
  const items = (purchase.purchase.products ?? [])
    .map((product) => `<li>${escape(product.name)} × ${product.quantity ?? 1}: ${money(purchase, product.price * (product.quantity ?? 1))}</li>`)
    .join('')
  return `<h1 id="merchant">Pay ${escape(merchant)}</h1>
<div class="amount" id="amount">${money(purchase, purchase.purchase.total_amount)}</div><ul>${items}</ul>`
}

/** What the shopper typed, and what is wrong with each field. */
export interface CardForm {
  card_number: string
  expiry: string
  cvc: string
}

type FieldErrors = Partial<Record<keyof CardForm, string>>

function luhn(digits: string): boolean {
  let sum = 0
  for (let index = 0; index < digits.length; index++) {
    let digit = Number(digits[digits.length - 1 - index])
    if (index % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2
    sum += digit
  }
  return sum % 10 === 0
}

/**
 * The card form checked as a real checkout checks it: a number of 12 to 19
 * digits passing Luhn and being a test card, an expiry MM/YY of a month
 * 01–12 that has not ended (real time: cards expire by the calendar, not the
 * test clock), a CVC of 3 digits.
 */
export function checkCard(form: CardForm, at = new Date()): FieldErrors {
  const errors: FieldErrors = {}
  const digits = form.card_number.replaceAll(/[\s-]/g, '')
  if (!/^\d{12,19}$/.test(digits) || !luhn(digits)) errors.card_number = 'Enter a valid card number.'
  else if (cardOutcome(digits) === 'unknown') errors.card_number = 'That is not a test card. Use 4242 4242 4242 4242.'
  const expiry = /^\s*(\d{2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(form.expiry)
  const month = expiry ? Number(expiry[1]) : 0
  if (!expiry || month < 1 || month > 12) {
    errors.expiry = 'Enter the expiry as MM/YY, with a month from 01 to 12.'
  } else {
    const year = expiry[2].length === 2 ? 2000 + Number(expiry[2]) : Number(expiry[2])
    // A card is good through the last day of its expiry month.
    if (Date.UTC(year, month, 1) <= at.getTime()) errors.expiry = 'This card has expired.'
  }
  if (!/^\d{3}$/.test(form.cvc.trim())) errors.cvc = 'Enter the 3-digit security code.'
  return errors
}

function field(name: keyof CardForm, label: string, attributes: string, form: CardForm, errors: FieldErrors): string {
  const error = errors[name]
  const described = error ? ` aria-invalid="true" aria-describedby="${name}-error"` : ''
  return `<div><label for="${name}">${label}</label><input id="${name}" name="${name}" value="${escape(form[name])}" ${attributes}${described} required>${
    error ? `<p class="field-error" id="${name}-error">${escape(error)}</p>` : ''
  }</div>`
}

const EMPTY: CardForm = {card_number: '', expiry: '', cvc: ''}

export function checkoutPage(purchase: PurchaseRecord, merchant: string, form: CardForm = EMPTY, errors: FieldErrors = {}, alert?: string): string {
  const leave = alert ? `<a class="button secondary" id="return" href="/checkout/${purchase.id}/leave/">Return to ${escape(merchant)}</a>` : ''
  return layout(
    `Checkout · ${merchant}`,
    `${summary(purchase, merchant)}
${alert ? `<p class="alert" role="alert" id="alert">${escape(alert)}</p>` : ''}
<form method="post" action="/checkout/${purchase.id}/" novalidate>
${field('card_number', 'Card number', 'inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242"', form, errors)}
<div class="row">${field('expiry', 'Expiry (MM/YY)', 'autocomplete="cc-exp" placeholder="12/34"', form, errors)}${field('cvc', 'CVC', 'inputmode="numeric" autocomplete="cc-csc" placeholder="123"', form, errors)}</div>
<button type="submit" id="pay">Pay ${money(purchase, purchase.purchase.total_amount)}</button>
</form>${leave}
<p class="note">Test cards: 4242 4242 4242 4242 succeeds · 4000 0000 0000 0002 is declined · 4000 0000 0000 3220 asks for 3-D Secure.</p>`,
  )
}

export function threeDSecurePage(purchase: PurchaseRecord, merchant: string): string {
  return layout(
    `3-D Secure · ${merchant}`,
    `<h1>Confirm this payment</h1><p>Your bank asks you to confirm ${money(purchase, purchase.purchase.total_amount)} to <span class="merchant">${escape(merchant)}</span>.</p>
<form method="post" action="/checkout/${purchase.id}/3ds/"><button name="result" value="pass" type="submit">Complete authentication</button>
<button class="secondary" name="result" value="fail" type="submit">Fail authentication</button></form>`,
  )
}

export function resultPage(purchase: PurchaseRecord, merchant: string, declined = false): string {
  const heading = declined ? 'Payment declined' : purchase.status === 'created' ? 'Awaiting payment' : `Payment ${purchase.status}`
  const retry = purchase.status === 'created' ? `<p><a href="/checkout/${purchase.id}/">Try again</a></p>` : ''
  return layout(
    `${heading} · ${merchant}`,
    `<p class="merchant">${escape(merchant)}</p><h1 id="result">${escape(heading)}</h1><p>Purchase <code>${purchase.id}</code> is <strong id="status">${escape(purchase.status)}</strong>.</p>${retry}`,
  )
}

/** The invoice number a shopper can quote: the purchase id's first 8 hex digits. */
export function invoiceNumber(purchase: PurchaseRecord): string {
  return `INV-${purchase.id.replaceAll('-', '').slice(0, 8).toUpperCase()}`
}

export function invoicePage(purchase: PurchaseRecord, merchant: string): string {
  const lines = (purchase.purchase.products ?? [])
    .map(
      (product) =>
        `<tr><td>${escape(product.name)}</td><td class="num">${product.quantity ?? 1}</td><td class="num">${money(purchase, product.price)}</td><td class="num">${money(purchase, product.price * (product.quantity ?? 1))}</td></tr>`,
    )
    .join('')
  const date = new Date(purchase.created_on * 1000).toISOString().slice(0, 10)
  const pay =
    purchase.status === 'created'
      ? `<a class="button" id="pay-invoice" href="/checkout/${purchase.id}/">Pay this invoice</a>`
      : `<p>Status: <strong id="status">${escape(purchase.status)}</strong></p>`
  return layout(
    `Invoice ${invoiceNumber(purchase)} · ${merchant}`,
    `<h1 id="merchant">${escape(merchant)}</h1>
<p>Invoice <strong id="invoice-number">${invoiceNumber(purchase)}</strong> · <span id="invoice-date">${date}</span><br>Billed to ${escape(purchase.client.full_name || purchase.client.email)}</p>
<table id="lines"><thead><tr><th>Item</th><th class="num">Qty</th><th class="num">Price</th><th class="num">Amount</th></tr></thead><tbody>${lines}</tbody>
<tfoot><tr><th colspan="3">Total</th><th class="num" id="total">${money(purchase, purchase.purchase.total_amount)}</th></tr></tfoot></table>${pay}`,
  )
}

const DECLINED = 'Your card was declined. Try another card, or return to the shop.'
const FAILED_3DS = 'Your bank could not confirm this payment (3-D Secure failed). Try again, or return to the shop.'

/** /checkout/ID/, /checkout/ID/3ds/, /checkout/ID/done/, /checkout/ID/leave/ and /invoice/ID/. */
export async function serveHosted(
  settings: HostedSettings,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  url: URL,
  raw: Buffer,
): Promise<void> {
  const match = /^\/(checkout|invoice)\/([^/]+)\/(3ds\/|done\/|leave\/)?$/.exec(path)
  const found = match ? settings.purchase(match[2]) : undefined
  if (!match || !found || (match[1] === 'invoice' && match[3])) throw notFound()
  const {context, purchase} = found
  const {merchant} = settings
  const [, kind, , step] = match
  if (kind === 'invoice') return sendHtml(response, 200, invoicePage(purchase, merchant))
  if (step === 'done/') return sendHtml(response, 200, resultPage(purchase, merchant, url.searchParams.has('declined')))
  // The shopper gives up after a decline: back to the merchant's failure page.
  if (step === 'leave/') return redirect(response, purchase.failure_redirect ?? `/checkout/${purchase.id}/done/?declined=1`)
  const form = new URLSearchParams(raw.toString('utf8'))
  if (step === '3ds/') {
    if (request.method !== 'POST')
      return sendHtml(
        response,
        purchase.three_d_secure_pending ? 200 : 409,
        purchase.three_d_secure_pending ? threeDSecurePage(purchase, merchant) : resultPage(purchase, merchant),
      )
    const outcome = await completeThreeDSecure(context, purchase, form.get('result') === 'pass')
    if (outcome === 'declined') return sendHtml(response, 402, checkoutPage(purchase, merchant, EMPTY, {}, FAILED_3DS))
    return afterPayment(response, purchase, outcome)
  }
  if (request.method !== 'POST' || purchase.status !== 'created') {
    const open = request.method !== 'POST' && purchase.status === 'created'
    return sendHtml(response, open ? 200 : 409, open ? checkoutPage(purchase, merchant) : resultPage(purchase, merchant))
  }
  const typed: CardForm = {card_number: form.get('card_number') ?? '', expiry: form.get('expiry') ?? '', cvc: form.get('cvc') ?? ''}
  const errors = checkCard(typed)
  if (Object.keys(errors).length > 0) return sendHtml(response, 400, checkoutPage(purchase, merchant, typed, errors))
  const outcome = await checkout(context, purchase, typed.card_number)
  // A decline stays on the page: the shopper sees it, may try another card, or returns to the shop.
  if (outcome === 'declined') return sendHtml(response, 402, checkoutPage(purchase, merchant, {...typed, cvc: ''}, {}, DECLINED))
  afterPayment(response, purchase, outcome)
}

function afterPayment(response: ServerResponse, purchase: PurchaseRecord, outcome: Exclude<CardOutcome, 'declined'>): void {
  if (outcome === 'requires_3ds') return redirect(response, `/checkout/${purchase.id}/3ds/`)
  redirect(response, purchase.success_redirect ?? `/checkout/${purchase.id}/done/`)
}
