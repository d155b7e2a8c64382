/**
 * Bad input never leaves the machine: each case exits 2 with one line naming
 * the flag, and the server behind --api-base records no request at all.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runInProcess as runCli} from '../helpers/in-process.js'
import {type TestServer, json, startServer} from '../helpers/server.js'
import {BRAND} from './helpers.js'

const T = 'bt-0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9'
const C = '5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8'
const P = 'd6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21'
const PURCHASE = ['purchases', 'create', '--brand-id', BRAND, '--email', 'a@b.co', '--product', 'T-Shirt:2999', '--currency', 'USD']

/** `purchases create` with valid flags except the ones replaced. */
function purchase(replace: Record<string, string>): string[] {
  const args = [...PURCHASE]
  for (const [flag, value] of Object.entries(replace)) args[args.indexOf(`--${flag}`) + 1] = value
  return args
}
const TEMPLATE = ['templates', 'create', '--brand-id', BRAND, '--product', 'Plan:1999', '--currency', 'USD', '--is-subscription']

let gateway: TestServer

beforeAll(async () => {
  gateway = await startServer((_request, response) => json(response, 500, {error: 'This test gateway must not be called'}))
})
afterAll(() => gateway.close())

const cases: Array<[string, string[], RegExp]> = [
  ['an email', purchase({email: 'not-an-email'}), /^Error: --email: Enter a valid email address\./],
  ['a brand UUID', purchase({'brand-id': 'brand-1'}), /^Error: --brand-id: Must be a valid UUID\./],
  ['a client UUID', ['templates', 'subscribe', T, '--client-id', 'client-1'], /^Error: --client-id: Must be a valid UUID\./],
  [
    'an invoice client UUID',
    ['invoices', 'send', '--brand-id', BRAND, '--client-id', C, '--client-id', 'x', '--product', 'A:100'],
    /^Error: --client-id #2: Must be a valid UUID\./,
  ],
  ['a 2-letter currency', purchase({currency: 'US'}), /^Error: --currency: Must be a valid 3-letter ISO 4217 currency code\./],
  ['an unknown currency', purchase({currency: 'XYZ'}), /^Error: --currency: Must be a valid 3-letter ISO 4217 currency code\./],
  [
    'a decimal amount',
    ['purchases', 'refund', P, '--amount', '12.50', '--yes'],
    /^Error: --amount: "12\.50" is not a whole number of minor units, e\.g\. 2999 for 29\.99\./,
  ],
  ['a zero amount', ['purchases', 'capture', P, '--amount', '0'], /^Error: --amount: Ensure this value is greater than or equal to 1\./],
  [
    'a decimal product price',
    purchase({product: 'Socks:5.00'}),
    /^Error: --product: the price "5\.00" must be a whole number of minor units greater than 0/,
  ],
  ['a product without a price', purchase({product: 'Socks'}), /^Error: --product: write it as NAME:PRICE\[:QTY\]/],
  [
    'a phone not in E.164',
    ['clients', 'create', '--email', 'a@b.co', '--phone', '0501234567'],
    /^Error: --phone: Enter a phone number in E\.164 format/,
  ],
  [
    'a 3-letter country',
    ['clients', 'create', '--email', 'a@b.co', '--country', 'ARE'],
    /^Error: --country: Must be a 2-letter ISO 3166 country code\./,
  ],
  [
    'a subscriber status',
    ['templates', 'subscribers', 'update', T, C, '--status', 'paused'],
    /^Error: Expected --status=paused to be one of: active, subscription_paused\./,
  ],
  ['a statement format', ['statements', 'create', '--format', 'pdf'], /^Error: Expected --format=pdf to be one of: csv, xlsx\./],
  [
    'a delivery source type',
    ['webhooks', 'deliveries', '--id', P, '--source-type', 'order'],
    /^Error: Expected --source-type=order to be one of: purchase, payment, payout, billing_template_client\./,
  ],
  [
    'subscription period units',
    [...TEMPLATE, '--subscription-period', '1', '--subscription-period-units', 'fortnights'],
    /^Error: Expected --subscription-period-units=fortnights to be one of: days, weeks, months, years\./,
  ],
  [
    'a subscription without a period',
    [...TEMPLATE, '--subscription-period-units', 'months'],
    /^Error: --subscription-period: This field is required when is_subscription is true\./,
  ],
  [
    'a subscription without period and units',
    TEMPLATE,
    /^Error: 2 flags are invalid\.[^\n]*\n {2}--subscription-period: This field is required when is_subscription is true\.\n {2}--subscription-period-units: This field is required when is_subscription is true\./,
  ],
  [
    'a callback that is not a URL',
    ['webhooks', 'create', '--callback', 'example.com/hook', '--all-events'],
    /^Error: --callback: Enter a valid URL\./,
  ],
  [
    'an unknown event',
    ['webhooks', 'create', '--callback', 'https://example.com/hook', '--events', 'purchase.paid,purchase.nope'],
    /^Error: Expected --events=purchase\.nope to be one of: purchase\.created/,
  ],
  [
    'missing required flags without a terminal',
    ['purchases', 'create', '--currency', 'USD'],
    /^Error: Missing required flags: --brand-id, --email, --product\. Pass them \(or --data\), or run in a terminal to be asked\. Set a default brand with `ummah config set brand_id ID`\./,
  ],
  [
    'a destructive verb without --yes',
    ['purchases', 'refund', P],
    /^Error: Refund purchase d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21 in full: confirmation needed and there is no terminal to ask\. Pass --yes to confirm\./,
  ],
  ['a delete without --yes', ['clients', 'tokens', 'delete', C, 'tok-1'], /^Error: Delete token tok-1: confirmation needed/],
  ['--data that is not JSON', [...PURCHASE, '--data', '{"client": '], /^Error: --data is not valid JSON: /],
  ['--data that is not an object', [...PURCHASE, '--data', '[1]'], /^Error: --data: must be a JSON object/],
  [
    '--data that breaks a field',
    [...PURCHASE, '--data', '{"purchase": {"products": [{"name": "A", "price": -1}]}}'],
    /^Error: --product #1 price: Ensure this value is greater than 0\./,
  ],
  // Numbers, dates and durations at their edges (2^53 − 1 = 9007199254740991 is the last exact whole number).
  [
    'a price past 2^53 − 1',
    purchase({product: 'X:9007199254740993'}),
    /^Error: --product: the price "9007199254740993" is larger than 9007199254740991, the largest amount accepted\./,
  ],
  [
    'a price of 1e23 written out',
    purchase({product: 'X:99999999999999999999999'}),
    /^Error: --product: the price "99999999999999999999999" is larger than 9007199254740991/,
  ],
  ['a price in exponent form', purchase({product: 'X:1e5'}), /^Error: --product: the price "1e5" must be a whole number of minor units/],
  [
    'a quantity past 2^53 − 1',
    purchase({product: 'X:100:9007199254740992'}),
    /^Error: --product: the quantity "9007199254740992" is larger than 9007199254740991\./,
  ],
  [
    'products whose total passes 2^53 − 1',
    [...purchase({}), '--product', 'Y:9007199254740991'],
    /^Error: --product: The total of the products must be at most 9007199254740991 minor units\./,
  ],
  [
    'an amount past 2^53 − 1',
    ['purchases', 'capture', P, '--amount', '9007199254740992'],
    /^Error: --amount: "9007199254740992" is larger than 9007199254740991, the largest whole number accepted\./,
  ],
  ['a negative amount', ['purchases', 'capture', P, '--amount', '-5'], /^Error: --amount: "-5" is not a whole number of minor units/],
  [
    'a negative --paid-on',
    ['purchases', 'mark-paid', P, '--paid-on', '-5'],
    /^Error: --paid-on: "-5" is neither Unix seconds nor an ISO-8601 date or time/,
  ],
  [
    'a fraction as --paid-on',
    ['purchases', 'mark-paid', P, '--paid-on', '1/2'],
    /^Error: --paid-on: "1\/2" is neither Unix seconds nor an ISO-8601 date/,
  ],
  ['words as --paid-on', ['purchases', 'mark-paid', P, '--paid-on', 'x 2020'], /^Error: --paid-on: "x 2020" is neither/],
  ['an impossible date', ['purchases', 'mark-paid', P, '--paid-on', '2026-02-30'], /^Error: --paid-on: "2026-02-30" is neither/],
  [
    'a timeout past an hour',
    ['balance', '--timeout', '2147484'],
    /^Error: --timeout: Expected an integer less than or equal to 3600 but received: 2147484\./,
  ],
  ['a zero timeout', ['balance', '--timeout', '0'], /^Error: --timeout: Expected an integer greater than or equal to 1 but received: 0\./],
  [
    'a wait past a day',
    ['statements', 'download', 'stmt-1', '--wait-timeout', '86401'],
    /^Error: --wait-timeout: Expected an integer less than or equal to 86400 but received: 86401\./,
  ],
  ['an email of 255 characters', purchase({email: `${'a'.repeat(243)}@example.com`}), /^Error: --email: Enter a valid email address\./],
  ['an empty currency', purchase({currency: ''}), /^Error: --currency: is empty: give a value, or leave the flag out\./],
  ['an empty reference', ['purchases', 'refund', P, '--reference', '', '--yes'], /^Error: --reference: is empty/],
  ['an empty id', ['purchases', 'retrieve', ''], /^Error: ID: must not be empty\./],
]

describe('under CI=true the messages say what to pass', () => {
  it.each([
    [
      ['purchases', 'create', '--currency', 'USD'],
      /^Error: Missing required flags: --brand-id, --email, --product\. CI=true: pass them \(or --data\); nothing is asked in CI\. Set a default brand/,
    ],
    [
      ['purchases', 'refund', P],
      /^Error: Refund purchase d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21 in full: confirmation needed and CI=true, so nothing is asked\. CI=true: pass --yes to confirm\./,
    ],
  ])('%j', async (args, message) => {
    const result = await runCli(args, {env: {UMMAH_API_BASE: gateway.apiBase, UMMAH_SECRET_KEY: 'sk_test_bad_input', CI: 'true'}})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(gateway.requests).toEqual([])
  })
})

describe('bad input exits 2, names the flag and sends nothing', () => {
  it.each(cases)('%s', async (_name, args, message) => {
    // Not in CI (CI=true has messages of its own, below), whatever the runner's environment.
    const result = await runCli(args, {env: {UMMAH_API_BASE: gateway.apiBase, UMMAH_SECRET_KEY: 'sk_test_bad_input', CI: undefined}})
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(/^\s+at /m)
    expect(result.stdout).toBe('')
    expect(result.code).toBe(2)
    expect(gateway.requests).toEqual([])
  })

  it('with --json the error is a JSON object on stdout listing the fields', async () => {
    const result = await runCli([...purchase({email: 'nope', currency: 'US'}), '--json'], {
      env: {UMMAH_API_BASE: gateway.apiBase, UMMAH_SECRET_KEY: 'sk_test_bad_input'},
    })
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: 'usage',
        message: '2 flags are invalid',
        hint: 'See `ummah purchases create --help`.',
        fields: {'--email': ['Enter a valid email address.'], '--currency': ['Must be a valid 3-letter ISO 4217 currency code.']},
      },
    })
    expect(gateway.requests).toEqual([])
  })
})
