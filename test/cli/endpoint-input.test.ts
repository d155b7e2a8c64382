import {describe, expect, it} from 'vitest'

import {endpoint} from '../../src/api/endpoints.js'
import {InputError} from '../../src/shared/errors.js'
import {buildRequest, checkRequest, missingParams, parseProduct} from '../../src/cli/endpoint-input.js'

import {BRAND} from '../sandbox/helpers.js'

function problemsOf(action: () => unknown): Record<string, string[]> {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return (error as InputError).problems
  }
  throw new Error('expected an InputError')
}

describe('--product NAME:PRICE[:QTY]', () => {
  it('reads name, price in minor units and quantity, from the right so names may hold colons', () => {
    expect(parseProduct('T-Shirt:2999')).toEqual({name: 'T-Shirt', price: 2999, quantity: 1})
    expect(parseProduct('Socks:500:2')).toEqual({name: 'Socks', price: 500, quantity: 2})
    expect(parseProduct('Plan: Pro:4900')).toEqual({name: 'Plan: Pro', price: 4900, quantity: 1})
  })

  it('refuses decimals, zero, a missing price and a zero quantity', () => {
    expect(() => parseProduct('T-Shirt:29.99')).toThrow(/whole number of minor units/)
    expect(() => parseProduct('T-Shirt:0')).toThrow(/greater than 0/)
    expect(() => parseProduct('T-Shirt')).toThrow(/NAME:PRICE/)
    expect(() => parseProduct('Socks:500:0')).toThrow(/at least 1/)
  })
})

describe('buildRequest', () => {
  const create = endpoint('purchases.create')

  it('nests dotted parameters, converts types and uppercases codes', () => {
    const request = buildRequest(create, {
      args: {},
      flags: {'brand-id': BRAND, email: 'a@b.co', product: ['T-Shirt:2999', 'Socks:500:2'], currency: 'usd', 'skip-capture': true},
    })
    expect(request.body).toEqual({
      brand_id: BRAND,
      client: {email: 'a@b.co'},
      purchase: {
        products: [
          {name: 'T-Shirt', price: 2999, quantity: 1},
          {name: 'Socks', price: 500, quantity: 2},
        ],
        currency: 'USD',
      },
      skip_capture: true,
    })
  })

  it('merges --data over the flags, deeply, and falls back to the profile brand', () => {
    const request = buildRequest(
      create,
      {args: {}, flags: {email: 'a@b.co', product: ['A:100']}},
      {data: {client: {full_name: 'Jane'}, purchase: {currency: 'EUR'}, reference: 'x'}, brandId: BRAND},
    )
    expect(request.body).toMatchObject({
      brand_id: BRAND,
      client: {email: 'a@b.co', full_name: 'Jane'},
      purchase: {currency: 'EUR', products: [{name: 'A'}]},
      reference: 'x',
    })
    const explicit = buildRequest(create, {args: {}, flags: {'brand-id': 'd0d0d0d0-0000-4000-8000-000000000000'}}, {brandId: BRAND})
    expect(explicit.body!.brand_id).toBe('d0d0d0d0-0000-4000-8000-000000000000')
  })

  it('lists the missing required parameters in documented order', () => {
    const request = buildRequest(create, {args: {}, flags: {currency: 'USD'}})
    expect(missingParams(create, request).map((param) => param.name)).toEqual(['brand_id', 'client.email', 'purchase.products'])
  })

  it('puts path arguments in params and query flags in the query', () => {
    const deliveries = buildRequest(endpoint('webhooks.deliveries'), {args: {}, flags: {id: 'p1', 'source-type': 'purchase'}})
    expect(deliveries).toEqual({params: {}, query: {id: 'p1', source_type: 'purchase'}, body: undefined})
    const subscriber = buildRequest(endpoint('billing_templates.clients.update'), {args: {id: 'bt-1', client_id: 'btc-2'}, flags: {status: 'active'}})
    expect(subscriber).toEqual({params: {id: 'bt-1', client_id: 'btc-2'}, query: {}, body: {status: 'active'}})
  })

  it('turns repeated --client-id into clients[].client_id and dates into Unix seconds', () => {
    const send = buildRequest(endpoint('billing.send'), {args: {}, flags: {'client-id': ['c1', 'c2']}})
    expect(send.body!.clients).toEqual([{client_id: 'c1'}, {client_id: 'c2'}])
    const paid = buildRequest(endpoint('purchases.mark_as_paid'), {
      args: {id: 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e'},
      flags: {'paid-on': '2026-11-22T00:00:00Z'},
    })
    expect(paid.body!.paid_on).toBe(Date.UTC(2026, 10, 22) / 1000)
  })

  it('names the flag of a value it cannot convert', () => {
    expect(
      problemsOf(() => buildRequest(endpoint('purchases.refund'), {args: {id: 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e'}, flags: {amount: '12.50'}})),
    ).toEqual({
      '--amount': ['"12.50" is not a whole number of minor units, e.g. 2999 for 29.99'],
    })
    expect(Object.keys(problemsOf(() => buildRequest(create, {args: {}, flags: {}}, {data: [1, 2]})))).toEqual(['--data'])
  })
})

describe('checkRequest', () => {
  it('reports field errors under the flag that carries them', () => {
    const target = endpoint('purchases.create')
    const request = buildRequest(target, {args: {}, flags: {'brand-id': 'not-a-uuid', email: 'nope', product: ['A:100'], currency: 'XX'}})
    expect(problemsOf(() => checkRequest(target, request))).toEqual({
      '--brand-id': ['Must be a valid UUID.'],
      '--email': ['Enter a valid email address.'],
      '--currency': ['Must be a valid 3-letter ISO 4217 currency code.'],
    })
  })

  it('points into a list item for --data products and invoice clients', () => {
    const target = endpoint('billing.send')
    const request = buildRequest(
      target,
      {args: {}, flags: {'brand-id': BRAND, 'client-id': ['c-1']}},
      {data: {purchase: {products: [{name: 'A', price: 0}]}}},
    )
    expect(problemsOf(() => checkRequest(target, request))).toEqual({
      '--client-id #1': ['Must be a valid UUID.'],
      '--product #1 price': ['Ensure this value is greater than 0.'],
    })
  })

  it('applies the reference rule that a subscription needs a period and units', () => {
    const target = endpoint('billing_templates.create')
    const request = buildRequest(target, {
      args: {},
      flags: {'brand-id': BRAND, product: ['Plan:1999'], 'is-subscription': true, 'subscription-period': '1'},
    })
    expect(problemsOf(() => checkRequest(target, request))).toEqual({
      '--subscription-period-units': ['This field is required when is_subscription is true.'],
    })
  })
})
