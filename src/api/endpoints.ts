/**
 * Every documented endpoint of the Ummah gateway API, once, as data.
 *
 * Three consumers read this table: the commands (arguments, flags, table
 * columns), the sandbox router, and the contract tests. Names, types and
 * required-ness follow the Ummah gateway API reference exactly (README: Commands).
 */
import type {
  Balance,
  BillingTemplate,
  Client,
  Page,
  PaymentMethods,
  PayoutMethods,
  PublicKey,
  Purchase,
  RecurringToken,
  Refund,
  StatusAnswer,
  Subscriber,
  Turnover,
  Statement,
  Webhook,
  WebhookDelivery,
} from './types.js'
import type {Placeholders} from '../shared/path-template.js'

export type HttpMethod = 'DELETE' | 'GET' | 'PATCH' | 'POST' | 'PUT'

export type ParamType = 'array' | 'boolean' | 'integer' | 'object' | 'string' | 'timestamp'

/** Formats the reference names beside a type; the CLI checks them before sending. */
export type ParamFormat = 'country' | 'currency' | 'email' | 'phone' | 'url' | 'uuid'

/**
 * How a flag's text becomes the parameter's value, where that is not the
 * parameter's type alone: `products` reads repeatable `NAME:PRICE[:QTY]`,
 * `client-ids` repeatable ids as `[{client_id}]`, `minor-units` a whole
 * amount of money in minor units.
 */
export type ParamInput = 'client-ids' | 'minor-units' | 'products'

/** What a path placeholder holds: a UUID (purchases, clients) or one opaque path segment (`bt-…`, `wh-…`). */
export type PathFormat = 'id' | 'uuid'

/** A response type carried by a row (`response: returns<Purchase>()`): read by ResponseOf, nothing at run time. */
export interface Returns<T> {
  readonly __response?: T
}

export function returns<T>(): Returns<T> {
  return {}
}

export interface EndpointParam {
  /** Dotted path inside the JSON body (`client.email`), or the query parameter name. */
  readonly name: string
  readonly in: 'body' | 'query'
  readonly type: ParamType
  readonly format?: ParamFormat
  readonly required?: boolean
  readonly enum?: readonly string[]
  /** Smallest allowed integer (amounts in minor units are at least 1). */
  readonly min?: number
  /**
   * The CLI flag, when it is not the kebab-case of the name's last segment:
   * `purchase.products` is the repeatable `--product NAME:PRICE[:QTY]`.
   */
  readonly flag?: string
  readonly input?: ParamInput
  readonly description: string
}

/** A column of a list table: the dotted field to read and how to show it. */
export interface Column {
  readonly field: string
  readonly header?: string
  /** `money` reads the amount at `field` and the currency at `currencyField`. */
  readonly kind?: 'date' | 'list' | 'money' | 'status'
  readonly currencyField?: string
  /** An identifier typed into the next command (a channel's name): never cut to fit a terminal, as `id` and `*_id` columns are not. */
  readonly whole?: boolean
}

interface EndpointSpec {
  /** Stable identifier, `<resource>.<action>`. */
  readonly id: string
  readonly method: HttpMethod
  /** Path template relative to the API base, with `{param}` placeholders and the trailing slash. */
  readonly path: string
  /** The CLI command that calls it, words separated by spaces. */
  readonly command: string
  /** Each `{placeholder}` of the path and what it holds; exactly the placeholders (checked by tsc below). */
  readonly ids?: Readonly<Record<string, PathFormat>>
  /** Loses money or data: the command asks first (or needs --yes). */
  readonly destructive?: true
  /** The documented response; for a list endpoint, the page. */
  readonly response: Returns<unknown>
  readonly summary: string
  readonly description: string
  readonly params: readonly EndpointParam[]
  /** Responses are pages: `{results, next, previous}`. */
  readonly list?: boolean
  readonly columns?: readonly Column[]
}

export const WEBHOOK_EVENTS = [
  'purchase.created',
  'purchase.paid',
  'purchase.payment_failure',
  'purchase.hold',
  'purchase.captured',
  'purchase.released',
  'purchase.refunded',
  'purchase.cancelled',
  'purchase.subscription_charge_failure',
  'billing_template.client_activated',
] as const

export const PURCHASE_STATUSES = ['created', 'hold', 'pending_capture', 'pending_release', 'paid', 'cancelled', 'released', 'refunded'] as const

const clientFields: readonly EndpointParam[] = [
  {name: 'full_name', in: 'body', type: 'string', description: 'Client full name.'},
  {name: 'phone', in: 'body', type: 'string', format: 'phone', description: 'Client phone number in E.164 format.'},
  {name: 'street_address', in: 'body', type: 'string', description: 'Billing street address.'},
  {name: 'country', in: 'body', type: 'string', format: 'country', description: '2-letter ISO country code.'},
  {name: 'city', in: 'body', type: 'string', description: 'City.'},
  {name: 'zip_code', in: 'body', type: 'string', description: 'ZIP / postal code.'},
]

const templateSubscriptionFields: readonly EndpointParam[] = [
  {name: 'subscription_period', in: 'body', type: 'integer', description: 'How often to bill (required when is_subscription is true). Example: 1.'},
  {
    name: 'subscription_period_units',
    in: 'body',
    type: 'string',
    enum: ['days', 'weeks', 'months', 'years'],
    description: 'Units for subscription_period (required when is_subscription is true).',
  },
  {name: 'number_of_billing_cycles', in: 'body', type: 'integer', description: 'Limit billing cycles per client. 0 = unlimited.'},
]

const webhookFields = (callbackRequired: boolean): readonly EndpointParam[] => [
  {name: 'callback', in: 'body', type: 'string', format: 'url', required: callbackRequired, description: 'HTTPS URL to POST event payloads to.'},
  {name: 'title', in: 'body', type: 'string', description: 'Friendly name for this webhook.'},
  {name: 'events', in: 'body', type: 'array', enum: WEBHOOK_EVENTS, description: 'List of event types to subscribe to, e.g. ["purchase.paid"].'},
  {name: 'all_events', in: 'body', type: 'boolean', description: 'Set to true to receive all event types.'},
]

const brandCurrencyQuery: readonly EndpointParam[] = [
  {name: 'brand_id', in: 'query', type: 'string', format: 'uuid', required: true, description: 'ID of the brand.'},
  {name: 'currency', in: 'query', type: 'string', format: 'currency', required: true, description: '3-letter ISO currency code.'},
]

const clientColumns: readonly Column[] = [
  {field: 'id'},
  {field: 'email'},
  {field: 'full_name', header: 'name'},
  {field: 'country'},
  {field: 'created_on', header: 'created', kind: 'date'},
]

const templateColumns: readonly Column[] = [
  {field: 'id'},
  {field: 'is_subscription', header: 'subscription'},
  {field: 'purchase.total_amount', header: 'amount', kind: 'money', currencyField: 'purchase.currency'},
  {field: 'subscription_period', header: 'every'},
  {field: 'subscription_period_units', header: 'units'},
  {field: 'created_on', header: 'created', kind: 'date'},
]

const subscriberColumns: readonly Column[] = [
  {field: 'id'},
  {field: 'client.email', header: 'client'},
  {field: 'status', kind: 'status'},
  {field: 'next_billing_on', header: 'next billing', kind: 'date'},
  {field: 'created_on', header: 'created', kind: 'date'},
]

const statementColumns: readonly Column[] = [
  {field: 'id'},
  {field: 'format'},
  {field: 'status', kind: 'status'},
  {field: 'timezone'},
  {field: 'created_on', header: 'created', kind: 'date'},
]

const webhookColumns: readonly Column[] = [
  {field: 'id'},
  {field: 'title'},
  {field: 'callback'},
  {field: 'events', kind: 'list'},
  {field: 'all_events', header: 'all'},
]

/** One row per invoice: `POST /billing/` answers one Purchase per client. */
const invoiceColumns: readonly Column[] = [
  {field: 'id'},
  {field: 'client.email', header: 'client'},
  {field: 'status', kind: 'status'},
  {field: 'purchase.total_amount', header: 'total', kind: 'money', currencyField: 'purchase.currency'},
  {field: 'checkout_url', header: 'checkout url'},
]

const balanceColumns: readonly Column[] = [{field: 'currency'}, {field: 'amount', kind: 'money', currencyField: 'currency'}]

const table = [
  // Purchases
  {
    id: 'purchases.create',
    method: 'POST',
    path: '/purchases/',
    command: 'purchases create',
    response: returns<Purchase>(),
    summary: 'Create a purchase and get its checkout URL',
    description:
      'Register a new payment and receive a checkout_url to redirect your customer to. After payment, the gateway redirects back to your success_redirect / failure_redirect.',
    params: [
      {name: 'brand_id', in: 'body', type: 'string', format: 'uuid', required: true, description: 'ID of the brand to create this Purchase for.'},
      {name: 'client.email', in: 'body', type: 'string', format: 'email', required: true, description: 'Customer email address.'},
      {
        name: 'purchase.products',
        in: 'body',
        type: 'array',
        required: true,
        flag: 'product',
        input: 'products',
        description: 'Products array. Each item: {name, price, quantity}.',
      },
      {
        name: 'purchase.currency',
        in: 'body',
        type: 'string',
        format: 'currency',
        description: '3-letter ISO currency code. Defaults to brand currency.',
      },
      {name: 'success_redirect', in: 'body', type: 'string', format: 'url', description: 'URL to redirect to after successful payment.'},
      {name: 'failure_redirect', in: 'body', type: 'string', format: 'url', description: 'URL to redirect to after payment failure.'},
      {name: 'success_callback', in: 'body', type: 'string', format: 'url', description: 'URL to POST a signed payment notification to.'},
      {name: 'skip_capture', in: 'body', type: 'boolean', description: 'Place funds on hold; capture later via POST /capture/.'},
      {name: 'force_recurring', in: 'body', type: 'boolean', description: 'Save payment method for future recurring charges.'},
      {name: 'send_receipt', in: 'body', type: 'boolean', description: 'Email a receipt to the client after payment.'},
      {name: 'recurring_token', in: 'body', type: 'string', description: 'Charge a saved payment method at once, without checkout (one-click).'},
    ],
  },
  {
    id: 'purchases.retrieve',
    method: 'GET',
    path: '/purchases/{id}/',
    command: 'purchases retrieve',
    ids: {id: 'uuid'},
    response: returns<Purchase>(),
    summary: 'Retrieve a purchase',
    description: 'Retrieve the full details of a purchase by its ID, including current status, payment data, and client info.',
    params: [],
  },
  {
    id: 'purchases.cancel',
    method: 'POST',
    path: '/purchases/{id}/cancel/',
    command: 'purchases cancel',
    ids: {id: 'uuid'},
    destructive: true,
    response: returns<StatusAnswer<'cancelled'>>(),
    summary: 'Cancel a purchase that has not been paid',
    description: 'Cancel a purchase that has not been completed yet. Use this to guarantee it cannot be paid later.',
    params: [],
  },
  {
    id: 'purchases.release',
    method: 'POST',
    path: '/purchases/{id}/release/',
    command: 'purchases release',
    ids: {id: 'uuid'},
    destructive: true,
    response: returns<StatusAnswer<'released'>>(),
    summary: 'Release the funds held for a purchase',
    description: 'Release funds reserved for a purchase on hold (status == hold). Used with skip_capture: true.',
    params: [],
  },
  {
    id: 'purchases.capture',
    method: 'POST',
    path: '/purchases/{id}/capture/',
    command: 'purchases capture',
    ids: {id: 'uuid'},
    response: returns<Purchase>(),
    summary: 'Capture the funds held for a purchase',
    description: 'Capture funds reserved for a purchase on hold (status == hold). Optionally specify a partial amount in the smallest currency unit.',
    params: [
      {
        name: 'amount',
        in: 'body',
        type: 'integer',
        min: 1,
        input: 'minor-units',
        description: 'Amount to capture in smallest currency unit (e.g. cents). Defaults to full held amount.',
      },
    ],
  },
  {
    id: 'purchases.refund',
    method: 'POST',
    path: '/purchases/{id}/refund/',
    command: 'purchases refund',
    ids: {id: 'uuid'},
    destructive: true,
    response: returns<Refund>(),
    summary: 'Refund a paid purchase in full or in part',
    description: 'Refund a paid purchase in full or partially. Optionally pass an internal reference for your records.',
    params: [
      {
        name: 'amount',
        in: 'body',
        type: 'integer',
        min: 1,
        input: 'minor-units',
        description: 'Amount to refund in smallest currency unit. Defaults to full amount.',
      },
      {name: 'reference', in: 'body', type: 'string', description: 'Internal refund reference for your records.'},
    ],
  },
  {
    id: 'purchases.mark_as_paid',
    method: 'POST',
    path: '/purchases/{id}/mark_as_paid/',
    command: 'purchases mark-paid',
    ids: {id: 'uuid'},
    response: returns<Purchase>(),
    summary: 'Mark a purchase as paid offline',
    description: 'Manually mark a purchase as paid. Useful for cash/offline payments recorded in the system.',
    params: [{name: 'paid_on', in: 'body', type: 'timestamp', description: 'Unix timestamp of when payment was received. Defaults to now.'}],
  },
  {
    id: 'purchases.resend_invoice',
    method: 'POST',
    path: '/purchases/{id}/resend_invoice/',
    command: 'purchases resend-invoice',
    ids: {id: 'uuid'},
    response: returns<StatusAnswer<'sent'>>(),
    summary: 'Re-send the invoice email of a purchase',
    description: 'Re-sends the invoice email for this purchase to the client.',
    params: [],
  },
  {
    id: 'purchases.delete_recurring_token',
    method: 'POST',
    path: '/purchases/{id}/delete_recurring_token/',
    command: 'purchases delete-recurring-token',
    ids: {id: 'uuid'},
    destructive: true,
    response: returns<StatusAnswer<'deleted'>>(),
    summary: 'Detach the saved payment method of a purchase',
    description: 'Detach the saved payment method used for future charges.',
    params: [],
  },
  {
    id: 'payment_methods.list',
    method: 'GET',
    path: '/payment_methods/',
    command: 'payment-methods list',
    response: returns<PaymentMethods>(),
    summary: 'List the payment methods available for a brand and currency',
    description: 'Get the list of payment methods available for a brand/currency. Requires brand_id and currency query parameters.',
    params: brandCurrencyQuery,
  },
  {
    id: 'payout_methods.list',
    method: 'GET',
    path: '/payout_methods/',
    command: 'payout-methods list',
    response: returns<PayoutMethods>(),
    summary: 'List the payout methods available for a brand and currency',
    description: 'Get the list of payout methods available for a brand/currency. Requires brand_id and currency query parameters.',
    params: brandCurrencyQuery,
  },

  // Billing templates and subscribers
  {
    id: 'billing_templates.create',
    method: 'POST',
    path: '/billing_templates/',
    command: 'templates create',
    response: returns<BillingTemplate>(),
    summary: 'Create a billing template (an invoice or subscription plan)',
    description:
      'Create a reusable billing template (Plan) for one-time invoices or recurring subscriptions. For subscriptions, set is_subscription: true and provide subscription_period + subscription_period_units.',
    params: [
      {
        name: 'purchase.products',
        in: 'body',
        type: 'array',
        required: true,
        flag: 'product',
        input: 'products',
        description: 'PurchaseDetails products: each item {name, price, quantity}.',
      },
      {name: 'purchase.currency', in: 'body', type: 'string', format: 'currency', description: 'PurchaseDetails currency: 3-letter ISO code.'},
      {name: 'is_subscription', in: 'body', type: 'boolean', required: true, description: 'true for subscription, false for one-time invoicing.'},
      {name: 'brand_id', in: 'body', type: 'string', format: 'uuid', required: true, description: 'ID of the brand for this template.'},
      ...templateSubscriptionFields,
    ],
  },
  {
    id: 'billing_templates.list',
    method: 'GET',
    path: '/billing_templates/',
    command: 'templates list',
    response: returns<Page<BillingTemplate>>(),
    summary: 'List billing templates',
    description: 'List all billing templates for your account.',
    params: [],
    list: true,
    columns: templateColumns,
  },
  {
    id: 'billing_templates.retrieve',
    method: 'GET',
    path: '/billing_templates/{id}/',
    command: 'templates retrieve',
    ids: {id: 'id'},
    response: returns<BillingTemplate>(),
    summary: 'Retrieve a billing template',
    description: 'Retrieve a billing template by its ID.',
    params: [],
  },
  {
    id: 'billing_templates.update',
    method: 'PUT',
    path: '/billing_templates/{id}/',
    command: 'templates update',
    ids: {id: 'id'},
    response: returns<BillingTemplate>(),
    summary: 'Replace all fields of a billing template',
    description: 'Replace all fields of a billing template.',
    params: [
      {
        name: 'purchase.products',
        in: 'body',
        type: 'array',
        required: true,
        flag: 'product',
        input: 'products',
        description: 'Updated PurchaseDetails products.',
      },
      {name: 'purchase.currency', in: 'body', type: 'string', format: 'currency', description: 'Updated PurchaseDetails currency.'},
      {name: 'is_subscription', in: 'body', type: 'boolean', required: true, description: 'Subscription mode flag.'},
      ...templateSubscriptionFields,
    ],
  },
  {
    id: 'billing_templates.delete',
    method: 'DELETE',
    path: '/billing_templates/{id}/',
    command: 'templates delete',
    ids: {id: 'id'},
    destructive: true,
    response: returns<undefined>(),
    summary: 'Delete a billing template',
    description: 'Delete a billing template by its ID. This does not cancel active subscriptions.',
    params: [],
  },
  {
    id: 'billing_templates.add_subscriber',
    method: 'POST',
    path: '/billing_templates/{id}/add_subscriber/',
    command: 'templates subscribe',
    ids: {id: 'id'},
    response: returns<Subscriber>(),
    summary: 'Subscribe a client to a billing template',
    description:
      'Add a client to a subscription billing template. Depending on the template settings, the response may include a purchase you must redirect the customer to immediately, or purchase: null if billing starts later.',
    params: [
      {name: 'client_id', in: 'body', type: 'string', format: 'uuid', required: true, description: 'ID of an existing Client to subscribe.'},
      {
        name: 'status',
        in: 'body',
        type: 'string',
        enum: ['active', 'subscription_paused'],
        description: 'subscription_paused starts a free trial: no purchase until PATCH status=active. Default: billing starts now.',
      },
    ],
  },
  {
    id: 'billing_templates.clients.list',
    method: 'GET',
    path: '/billing_templates/{id}/clients/',
    command: 'templates subscribers list',
    ids: {id: 'id'},
    response: returns<Page<Subscriber>>(),
    summary: 'List the subscribers of a billing template',
    description: 'List all subscribers for this billing template (Plan).',
    params: [],
    list: true,
    columns: subscriberColumns,
  },
  {
    id: 'billing_templates.clients.retrieve',
    method: 'GET',
    path: '/billing_templates/{id}/clients/{client_id}/',
    command: 'templates subscribers retrieve',
    ids: {id: 'id', client_id: 'id'},
    response: returns<Subscriber>(),
    summary: 'Retrieve a subscriber of a billing template',
    description: 'Retrieve a subscriber for this billing template (Plan).',
    params: [],
  },
  {
    id: 'billing_templates.clients.update',
    method: 'PATCH',
    path: '/billing_templates/{id}/clients/{client_id}/',
    command: 'templates subscribers update',
    ids: {id: 'id', client_id: 'id'},
    response: returns<Subscriber>(),
    summary: 'Update a subscriber (pause or resume billing)',
    description: 'Partially update a subscriber, for example to pause or resume their subscription.',
    params: [
      {
        name: 'status',
        in: 'body',
        type: 'string',
        enum: ['active', 'subscription_paused'],
        description: 'Subscription status: active or subscription_paused.',
      },
    ],
  },
  {
    id: 'billing_templates.send_invoice',
    method: 'POST',
    path: '/billing_templates/{id}/send_invoice/',
    command: 'templates send-invoice',
    ids: {id: 'id'},
    response: returns<Purchase>(),
    summary: 'Send an invoice from a billing template to a client',
    description:
      'Generate an invoice purchase from a billing template for an existing client. The response is a Purchase (with checkout_url / invoice_url).',
    params: [{name: 'client_id', in: 'body', type: 'string', format: 'uuid', required: true, description: 'ID of an existing Client object.'}],
  },
  {
    id: 'billing.send',
    method: 'POST',
    path: '/billing/',
    command: 'invoices send',
    response: returns<Purchase[]>(),
    summary: 'Send a one-time invoice to one or more clients',
    description: 'Send a one-time invoice to one or several existing clients. Each client receives a unique checkout/invoice link.',
    params: [
      {name: 'brand_id', in: 'body', type: 'string', format: 'uuid', required: true, description: 'ID of the brand issuing the invoice.'},
      {
        name: 'clients',
        in: 'body',
        type: 'array',
        required: true,
        flag: 'client-id',
        input: 'client-ids',
        description: 'Array of BillingTemplateClient objects. Each item must include client_id.',
      },
      {
        name: 'purchase.products',
        in: 'body',
        type: 'array',
        required: true,
        flag: 'product',
        input: 'products',
        description: 'Products to include in the invoice.',
      },
      {name: 'purchase.currency', in: 'body', type: 'string', format: 'currency', description: '3-letter ISO currency code.'},
    ],
    columns: invoiceColumns,
  },

  // Clients
  {
    id: 'clients.create',
    method: 'POST',
    path: '/clients/',
    command: 'clients create',
    response: returns<Client>(),
    summary: 'Create a client',
    description: 'Create a new client record to store customer contact information.',
    params: [{name: 'email', in: 'body', type: 'string', format: 'email', required: true, description: 'Client email address.'}, ...clientFields],
  },
  {
    id: 'clients.list',
    method: 'GET',
    path: '/clients/',
    command: 'clients list',
    response: returns<Page<Client>>(),
    summary: 'List clients',
    description: 'Retrieve a paginated list of all client records for your account.',
    params: [],
    list: true,
    columns: clientColumns,
  },
  {
    id: 'clients.retrieve',
    method: 'GET',
    path: '/clients/{id}/',
    command: 'clients retrieve',
    ids: {id: 'uuid'},
    response: returns<Client>(),
    summary: 'Retrieve a client',
    description: 'Retrieve a specific client by their ID.',
    params: [],
  },
  {
    id: 'clients.update',
    method: 'PUT',
    path: '/clients/{id}/',
    command: 'clients update',
    ids: {id: 'uuid'},
    response: returns<Client>(),
    summary: 'Replace all fields of a client',
    description: 'Replace all fields of a client record.',
    params: [{name: 'email', in: 'body', type: 'string', format: 'email', required: true, description: 'Client email address.'}, ...clientFields],
  },
  {
    id: 'clients.partial_update',
    method: 'PATCH',
    path: '/clients/{id}/',
    command: 'clients patch',
    ids: {id: 'uuid'},
    response: returns<Client>(),
    summary: 'Update some fields of a client',
    description: 'Update specific fields of a client record without replacing the entire object.',
    params: [{name: 'email', in: 'body', type: 'string', format: 'email', description: 'Client email address.'}, ...clientFields],
  },
  {
    id: 'clients.delete',
    method: 'DELETE',
    path: '/clients/{id}/',
    command: 'clients delete',
    ids: {id: 'uuid'},
    destructive: true,
    response: returns<undefined>(),
    summary: 'Delete a client',
    description: 'Permanently delete a client record and their associated data.',
    params: [],
  },
  {
    id: 'clients.recurring_tokens.retrieve',
    method: 'GET',
    path: '/clients/{id}/recurring_tokens/{token}/',
    command: 'clients tokens retrieve',
    ids: {id: 'uuid', token: 'id'},
    response: returns<RecurringToken>(),
    summary: "Retrieve a client's recurring token",
    description: 'Retrieve a specific recurring payment token by its ID.',
    params: [],
  },
  {
    id: 'clients.recurring_tokens.delete',
    method: 'DELETE',
    path: '/clients/{id}/recurring_tokens/{token}/',
    command: 'clients tokens delete',
    ids: {id: 'uuid', token: 'id'},
    destructive: true,
    response: returns<undefined>(),
    summary: "Delete a client's recurring token",
    description: 'Delete a saved recurring token, preventing it from being used for future charges.',
    params: [],
  },

  // Balance, turnover and statements
  {
    id: 'balance.retrieve',
    method: 'GET',
    path: '/balance/',
    command: 'balance',
    response: returns<Balance>(),
    summary: 'Show the balance data of your account',
    description: 'Retrieve detailed balance data for your account.',
    params: [],
    columns: balanceColumns,
  },
  {
    id: 'account.balance',
    method: 'GET',
    path: '/account/json/balance/',
    command: 'account balance',
    response: returns<Balance>(),
    summary: 'Show the company account balance by currency',
    description: 'Get the current balance of your company account, broken down by currency.',
    params: [],
    columns: balanceColumns,
  },
  {
    id: 'account.turnover',
    method: 'GET',
    path: '/account/json/turnover/',
    command: 'account turnover',
    response: returns<Turnover>(),
    summary: 'Show the company turnover by currency and period',
    description: 'Get transaction turnover data for your company, grouped by currency and time period.',
    params: [],
    columns: [{field: 'period'}, {field: 'currency'}, {field: 'paid_amount', header: 'paid', kind: 'money', currencyField: 'currency'}],
  },
  {
    id: 'company_statements.create',
    method: 'POST',
    path: '/company_statements/',
    command: 'statements create',
    response: returns<Statement>(),
    summary: 'Schedule a financial statement',
    description: 'Schedule a financial statement for generation. Once processing completes, a download_url becomes available.',
    params: [
      {name: 'format', in: 'body', type: 'string', enum: ['csv', 'xlsx'], required: true, description: 'Output format: csv or xlsx.'},
      {name: 'timezone', in: 'body', type: 'string', description: 'Timezone for timestamps, e.g. UTC, Asia/Dubai.'},
      {name: 'query_string', in: 'body', type: 'string', description: 'Query parameters to filter statement data.'},
    ],
  },
  {
    id: 'company_statements.list',
    method: 'GET',
    path: '/company_statements/',
    command: 'statements list',
    response: returns<Page<Statement>>(),
    summary: 'List statements',
    description: 'List all generated and pending statements for your account.',
    params: [],
    list: true,
    columns: statementColumns,
  },
  {
    id: 'company_statements.retrieve',
    method: 'GET',
    path: '/company_statements/{id}/',
    command: 'statements retrieve',
    ids: {id: 'id'},
    response: returns<Statement>(),
    summary: 'Retrieve a statement',
    description: 'Retrieve a statement by its ID. Check status and download_url.',
    params: [],
  },
  {
    id: 'company_statements.cancel',
    method: 'POST',
    path: '/company_statements/{id}/cancel/',
    command: 'statements cancel',
    ids: {id: 'id'},
    destructive: true,
    response: returns<StatusAnswer<'cancelled'>>(),
    summary: 'Cancel a pending statement',
    description: 'Cancel a pending statement generation.',
    params: [],
  },

  // Webhooks
  {
    id: 'webhooks.create',
    method: 'POST',
    path: '/webhooks/',
    command: 'webhooks create',
    response: returns<Webhook>(),
    summary: 'Register a webhook endpoint',
    description: 'Register a new webhook endpoint to receive event notifications.',
    params: webhookFields(true),
  },
  {
    id: 'webhooks.list',
    method: 'GET',
    path: '/webhooks/',
    command: 'webhooks list',
    response: returns<Page<Webhook>>(),
    summary: 'List webhook endpoints',
    description: 'Retrieve all registered webhook endpoints for your account.',
    params: [],
    list: true,
    columns: webhookColumns,
  },
  {
    id: 'webhooks.retrieve',
    method: 'GET',
    path: '/webhooks/{id}/',
    command: 'webhooks retrieve',
    ids: {id: 'id'},
    response: returns<Webhook>(),
    summary: 'Retrieve a webhook endpoint',
    description: 'Retrieve a specific webhook by its ID.',
    params: [],
  },
  {
    id: 'webhooks.update',
    method: 'PUT',
    path: '/webhooks/{id}/',
    command: 'webhooks update',
    ids: {id: 'id'},
    response: returns<Webhook>(),
    summary: 'Replace all fields of a webhook endpoint',
    description: 'Replace all fields of a webhook endpoint.',
    params: webhookFields(true),
  },
  {
    id: 'webhooks.partial_update',
    method: 'PATCH',
    path: '/webhooks/{id}/',
    command: 'webhooks patch',
    ids: {id: 'id'},
    response: returns<Webhook>(),
    summary: 'Update some fields of a webhook endpoint',
    description: 'Update specific fields of a webhook endpoint.',
    params: webhookFields(false),
  },
  {
    id: 'webhooks.delete',
    method: 'DELETE',
    path: '/webhooks/{id}/',
    command: 'webhooks delete',
    ids: {id: 'id'},
    destructive: true,
    response: returns<undefined>(),
    summary: 'Delete a webhook endpoint',
    description: 'Delete a webhook endpoint. No further deliveries will be sent.',
    params: [],
  },
  {
    id: 'webhooks.deliveries',
    method: 'GET',
    path: '/webhooks/deliveries/',
    command: 'webhooks deliveries',
    response: returns<Page<WebhookDelivery>>(),
    summary: 'List webhook delivery attempts for an object',
    description: 'List recent webhook delivery attempts for a specific source object. Requires id (UUID of the source object) and source_type.',
    params: [
      {name: 'id', in: 'query', type: 'string', required: true, description: 'ID of the source object (a purchase, payment, payout or subscriber).'},
      {
        name: 'source_type',
        in: 'query',
        type: 'string',
        enum: ['purchase', 'payment', 'payout', 'billing_template_client'],
        required: true,
        description: 'Type of the source object.',
      },
    ],
    list: true,
    columns: [
      {field: 'id'},
      {field: 'event'},
      {field: 'status', kind: 'status'},
      {field: 'response_code', header: 'code'},
      {field: 'sent_at', header: 'sent', kind: 'date'},
    ],
  },
  {
    id: 'public_key.retrieve',
    method: 'GET',
    path: '/public_key/',
    command: 'webhooks public-key',
    response: returns<PublicKey>(),
    summary: 'Show the company callback public key',
    description:
      'Retrieve the company callback public key used to verify Purchase.success_callback deliveries (RSA-SHA256). For Webhook deliveries, use the public_key field on the Webhook object.',
    params: [],
  },
] as const satisfies readonly EndpointSpec[]

/** Every endpoint id, as a type: a command, handler or call() naming a missing endpoint fails `tsc`. */
export type EndpointId = (typeof table)[number]['id']

export interface Endpoint extends EndpointSpec {
  readonly id: EndpointId
}

export const endpoints: readonly Endpoint[] = table

const byId = new Map<string, Endpoint>(endpoints.map((endpoint) => [endpoint.id, endpoint]))

export function endpoint(id: EndpointId): Endpoint {
  const found = byId.get(id)
  if (!found) throw new Error(`Unknown endpoint ${id}`)
  return found
}

type Row = (typeof table)[number]
type RowOf<Id extends EndpointId> = Extract<Row, {id: Id}>

/** The values a call to endpoint `Id` must give for its path: `{id}` for `/purchases/{id}/`, `{}` for `/purchases/`. */
export type PathParams<Id extends EndpointId> = {[Name in Placeholders<RowOf<Id>['path']>]: string}

/** The documented response of endpoint `Id` (the page, for a list endpoint). */
export type ResponseOf<Id extends EndpointId> = RowOf<Id>['response'] extends Returns<infer T> ? T : never

/** A row's `ids` name exactly its path's placeholders; a row that does not fails here, naming its id. */
type IdsMismatch<R extends Row> = R extends {path: infer Path extends string}
  ? [Placeholders<Path>] extends [never]
    ? R extends {ids: object}
      ? R['id']
      : never
    : R extends {ids: infer Ids}
      ? [Exclude<Placeholders<Path>, keyof Ids> | Exclude<keyof Ids, Placeholders<Path>>] extends [never]
        ? never
        : R['id']
      : R['id']
  : never
type Never<T extends never> = T
export type EveryRowNamesItsIds = Never<IdsMismatch<Row>>
