/** Purchases and the payment and payout method lists. */
import type {EndpointId} from '../../api/endpoints.js'
import {SandboxError, badRequest, conflict} from '../errors.js'
import {type Context, type PurchaseRecord, cancel, capture, chargeToken, clientFor, createPurchase, markPaid, refund, release} from '../payments.js'
import {type HandlerRequest, type Handlers, created, find, ok, purchaseDetails} from './common.js'

type PurchaseEndpoint = Extract<EndpointId, `purchases.${string}`> | 'payment_methods.list' | 'payout_methods.list'

function purchaseOf(context: Context, request: HandlerRequest): PurchaseRecord {
  return find(context.account.purchases, request.params.id)
}

const METHOD_NAMES = {visa: 'Visa', mastercard: 'Mastercard'}
const METHOD_LOGOS = {visa: '/static/images/icon-visa.svg', mastercard: '/static/images/icon-mastercard.svg'}

export const purchaseHandlers: Handlers<PurchaseEndpoint> = {
  async 'purchases.create'(context, {body}) {
    const clientInput = body.client as {email: string; full_name?: string}
    const token = body.recurring_token === undefined ? undefined : String(body.recurring_token)
    if (token !== undefined && !Object.hasOwn(context.account.tokens, token)) throw badRequest({recurring_token: ['Recurring token does not exist.']})
    const details = purchaseDetails(body)
    const purchase = await createPurchase(context, {
      brand_id: body.brand_id as string,
      client: await clientFor(context, clientInput.email, clientInput.full_name),
      products: details.products,
      currency: details.currency,
      success_redirect: body.success_redirect as string | undefined,
      failure_redirect: body.failure_redirect as string | undefined,
      success_callback: body.success_callback as string | undefined,
      skip_capture: body.skip_capture as boolean | undefined,
      force_recurring: body.force_recurring as boolean | undefined,
      send_receipt: body.send_receipt as boolean | undefined,
    })
    if (token !== undefined && !(await chargeToken(context, purchase, token))) {
      throw new SandboxError(402, {
        error: 'card_declined',
        message: 'The card was declined by the issuing bank.',
        details: {decline_code: 'generic_decline', param: 'recurring_token', purchase_id: purchase.id},
      })
    }
    return created(purchase)
  },
  'purchases.retrieve': (context, request) => ok(purchaseOf(context, request)),
  async 'purchases.cancel'(context, request) {
    await cancel(context, purchaseOf(context, request))
    return ok({status: 'cancelled'})
  },
  async 'purchases.release'(context, request) {
    await release(context, purchaseOf(context, request))
    return ok({status: 'released'})
  },
  'purchases.capture': async (context, request) =>
    ok(await capture(context, purchaseOf(context, request), request.body.amount as number | undefined)),
  'purchases.refund': async (context, request) =>
    ok(await refund(context, purchaseOf(context, request), request.body.amount as number | undefined, request.body.reference as string | undefined)),
  async 'purchases.mark_as_paid'(context, request) {
    const purchase = purchaseOf(context, request)
    await markPaid(context, purchase, request.body.paid_on as number | undefined)
    return ok(purchase)
  },
  'purchases.resend_invoice'(context, request) {
    const purchase = purchaseOf(context, request)
    if (purchase.status === 'cancelled') throw conflict('Cannot send the invoice of a cancelled purchase.', purchase.status)
    return ok({status: 'sent'})
  },
  'purchases.delete_recurring_token'(context, request) {
    const purchase = purchaseOf(context, request)
    if (!purchase.recurring_token) throw conflict('This purchase has no saved payment method.', purchase.status)
    delete context.account.tokens[purchase.recurring_token]
    purchase.recurring_token = null
    context.store.changed()
    return ok({status: 'deleted'})
  },
  'payment_methods.list': () =>
    ok({
      available_payment_methods: ['visa', 'mastercard'],
      by_country: {any: ['card']},
      country_names: {any: 'Other'},
      names: METHOD_NAMES,
      logos: METHOD_LOGOS,
      card_methods: ['visa', 'mastercard'],
    }),
  'payout_methods.list': () =>
    ok({available_payout_methods: ['visa', 'mastercard'], names: METHOD_NAMES, logos: METHOD_LOGOS, card_methods: ['visa', 'mastercard']}),
}
