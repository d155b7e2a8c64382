/**
 * The hosted checkout a customer sees: a card form that takes the documented
 * test cards, a 3-D Secure step for 4000 0000 0000 3220, then a redirect to
 * the purchase's success_redirect / failure_redirect (or a result page).
 */
import {formatMoney} from '../shared/money.js'
import type {PurchaseRecord} from './payments.js'

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Ummah sandbox</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;padding:2rem;color:#1b2430}
main{max-width:26rem;margin:auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 2px 12px #0002}
h1{font-size:1.3rem;margin-top:0}.amount{font-size:2rem;font-weight:600;margin:.5rem 0 1.5rem}
label{display:block;margin:.8rem 0 .2rem;font-size:.9rem}input{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #bbc;border-radius:6px}
button{margin-top:1.2rem;width:100%;padding:.8rem;font-size:1rem;border:0;border-radius:6px;background:#0a7d4f;color:#fff;cursor:pointer}
button.secondary{background:#a33}.error{color:#a33;font-weight:600}.note{color:#667;font-size:.85rem}
.badge{display:inline-block;background:#ffe9a8;border-radius:4px;padding:.1rem .4rem;font-size:.75rem}
</style></head>
<body><main><span class="badge">SANDBOX · test mode</span>${body}</main></body></html>`
}

function summary(purchase: PurchaseRecord): string {
  const items = (purchase.purchase.products ?? [])
    .map((product) => `<li>${escape(product.name)} × ${product.quantity ?? 1}: ${escape(formatMoney(product.price * (product.quantity ?? 1), purchase.purchase.currency))}</li>`)
    .join('')
  return `<h1>Pay ${escape(purchase.client.email)}'s order</h1>
<div class="amount" id="amount">${escape(formatMoney(purchase.purchase.total_amount, purchase.purchase.currency))}</div><ul>${items}</ul>`
}

export function checkoutPage(purchase: PurchaseRecord, error?: string): string {
  return layout(
    'Checkout',
    `${summary(purchase)}
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/checkout/${purchase.id}/">
<label for="card_number">Card number</label><input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required>
<label for="expiry">Expiry (MM/YY)</label><input id="expiry" name="expiry" placeholder="12/34" required>
<label for="cvc">CVC</label><input id="cvc" name="cvc" inputmode="numeric" placeholder="123" required>
<button type="submit">Pay ${escape(formatMoney(purchase.purchase.total_amount, purchase.purchase.currency))}</button>
</form>
<p class="note">Test cards: 4242 4242 4242 4242 succeeds · 4000 0000 0000 0002 is declined · 4000 0000 0000 3220 asks for 3-D Secure.</p>`,
  )
}

export function threeDSecurePage(purchase: PurchaseRecord): string {
  return layout(
    '3-D Secure',
    `<h1>Confirm this payment</h1><p>Your bank asks you to confirm ${escape(formatMoney(purchase.purchase.total_amount, purchase.purchase.currency))}.</p>
<form method="post" action="/checkout/${purchase.id}/3ds/"><button name="result" value="pass" type="submit">Complete authentication</button>
<button class="secondary" name="result" value="fail" type="submit">Fail authentication</button></form>`,
  )
}

export function resultPage(purchase: PurchaseRecord, declined = false): string {
  const heading = declined ? 'Payment declined' : purchase.status === 'created' ? 'Awaiting payment' : `Payment ${purchase.status}`
  const retry = purchase.status === 'created' ? `<p><a href="/checkout/${purchase.id}/">Try again</a></p>` : ''
  return layout(heading, `<h1 id="result">${escape(heading)}</h1><p>Purchase <code>${purchase.id}</code> is <strong id="status">${escape(purchase.status)}</strong>.</p>${retry}`)
}

export function invoicePage(purchase: PurchaseRecord): string {
  const pay = purchase.status === 'created' ? `<p><a href="/checkout/${purchase.id}/">Pay this invoice</a></p>` : `<p>Status: <strong>${escape(purchase.status)}</strong></p>`
  return layout('Invoice', `${summary(purchase)}${pay}`)
}
