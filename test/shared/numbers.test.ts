/** Whole numbers and timestamps at their edges: exactly what is accepted, and the first value past it. */
import {describe, expect, it} from 'vitest'

import {endpoint} from '../../src/api/endpoints.js'
import {validateRequest} from '../../src/api/validate.js'
import {convertValue, parseProduct} from '../../src/cli/endpoint-input.js'
import {MAX_WHOLE, parseTimestamp, parseWhole} from '../../src/shared/numbers.js'

describe('whole numbers', () => {
  it('accepts digits up to 2^53 − 1 and nothing past, nor signs, decimals or exponents', () => {
    expect(MAX_WHOLE).toBe(9_007_199_254_740_991)
    expect(parseWhole('9007199254740991')).toBe(9_007_199_254_740_991)
    expect(parseWhole('0')).toBe(0)
    expect(parseWhole(' 42 ')).toBe(42)
    for (const text of ['9007199254740992', '9007199254740993', '99999999999999999999999', '-1', '+1', '1.0', '1e3', '0x10', '', ' '])
      expect(parseWhole(text), text).toBeUndefined()
  })

  it('products: the largest exact price passes, the next does not; quantity likewise', () => {
    expect(parseProduct('X:9007199254740991')).toEqual({name: 'X', price: 9_007_199_254_740_991, quantity: 1})
    expect(() => parseProduct('X:9007199254740992')).toThrow('is larger than 9007199254740991')
    expect(parseProduct('A:B:1:9007199254740991')).toEqual({name: 'A:B', price: 1, quantity: 9_007_199_254_740_991})
    expect(() => parseProduct('X:1:9007199254740992')).toThrow('the quantity "9007199254740992" is larger')
    expect(() => parseProduct('X:0')).toThrow('must be a whole number of minor units greater than 0')
  })

  it('the sandbox applies the same bound to what it is sent, lines and totals', () => {
    const create = endpoint('purchases.create')
    const body = (products: unknown[]) => ({brand_id: '409eb80e-3782-4b1d-afa8-b779759266a5', client: {email: 'a@b.co'}, purchase: {products}})
    expect(validateRequest(create, {body: body([{name: 'A', price: MAX_WHOLE}])})).toEqual({})
    expect(validateRequest(create, {body: body([{name: 'A', price: 1e300}])})).toEqual({
      'purchase.products.0.price': ['Ensure this value is less than or equal to 9007199254740991.'],
    })
    expect(
      validateRequest(create, {
        body: body([
          {name: 'A', price: MAX_WHOLE},
          {name: 'B', price: 1},
        ]),
      }),
    ).toEqual({'purchase.products': ['The total of the products must be at most 9007199254740991 minor units.']})
    expect(validateRequest(create, {body: body([{name: 'A', price: 2, quantity: 2 ** 52}])})).toEqual({
      'purchase.products': ['The total of the products must be at most 9007199254740991 minor units.'],
    })
    expect(validateRequest(endpoint('purchases.capture'), {body: {amount: 2 ** 53}})).toEqual({
      amount: ['Ensure this value is less than or equal to 9007199254740991.'],
    })
  })
})

describe('timestamps', () => {
  it('Unix seconds and ISO-8601 dates and times only', () => {
    expect(parseTimestamp('0')).toBe(0)
    expect(parseTimestamp('1700000000')).toBe(1_700_000_000)
    expect(parseTimestamp('253402300799')).toBe(253_402_300_799) // 9999-12-31T23:59:59Z
    expect(parseTimestamp('253402300800')).toBeUndefined()
    expect(parseTimestamp('2026-11-22')).toBe(Date.UTC(2026, 10, 22) / 1000)
    expect(parseTimestamp('2026-11-22T10:00:00Z')).toBe(Date.UTC(2026, 10, 22, 10) / 1000)
    expect(parseTimestamp('2026-11-22T10:00')).toBe(Date.UTC(2026, 10, 22, 10) / 1000)
    expect(parseTimestamp('2026-11-22T14:00:00+04:00')).toBe(Date.UTC(2026, 10, 22, 10) / 1000)
    expect(parseTimestamp('2028-02-29')).toBe(Date.UTC(2028, 1, 29) / 1000)
    for (const text of [
      '-5',
      '1/2',
      'x 2020',
      '2026-02-30',
      '2027-02-29',
      '2026-13-01',
      '2026-11-22T24:00:00Z',
      '2026-11-22T10:60',
      'Nov 22 2026',
      '',
    ])
      expect(parseTimestamp(text), text).toBeUndefined()
  })

  it('--paid-on converts or names the problem', () => {
    const paidOn = endpoint('purchases.mark_as_paid').params[0]
    expect(convertValue(paidOn, '2026-11-22')).toBe(Date.UTC(2026, 10, 22) / 1000)
    expect(() => convertValue(paidOn, '-5')).toThrow('"-5" is neither Unix seconds nor an ISO-8601 date or time')
    expect(() => convertValue(paidOn, '')).toThrow('is empty: give a value, or leave the flag out')
  })
})
