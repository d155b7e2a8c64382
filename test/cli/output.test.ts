import {describe, expect, it} from 'vitest'

import {createStyle, formatDate, renderHuman, renderObject, renderTable} from '../../src/cli/output.js'
import {formatMoney} from '../../src/shared/money.js'
import {detectTerminal} from '../../src/cli/terminal.js'
import {maskKey, redact} from '../../src/shared/secrets.js'

describe('money', () => {
  it('uses the currency’s own decimals, exactly', () => {
    expect(formatMoney(2999, 'USD')).toBe('29.99 USD')
    expect(formatMoney(500, 'JPY')).toBe('500 JPY')
    expect(formatMoney(1500, 'KWD')).toBe('1.500 KWD')
    expect(formatMoney(5, 'usd')).toBe('0.05 USD')
    expect(formatMoney(-123_456_789, 'EUR')).toBe('-1,234,567.89 EUR')
    expect(formatMoney(2999, undefined)).toBe('2999')
  })

  it('formats unix seconds as UTC', () => {
    expect(formatDate(1_700_000_000)).toBe('2023-11-14 22:13:20 UTC')
  })
})

describe('views', () => {
  it('shows an object as key/value with money, dates and nesting', async () => {
    const text = renderObject(
      {id: 'p1', status: 'paid', purchase: {total_amount: 2999, currency: 'USD', products: [{name: 'T-Shirt', price: 2999}]}, created_on: 1_700_000_000},
      await createStyle(false),
    )
    expect(text.split('\n')).toEqual([
      'id              p1',
      'status          paid',
      'purchase',
      '  total_amount  29.99 USD',
      '  currency      USD',
      '  products',
      '    [0]',
      '      name      T-Shirt',
      '      price     29.99 USD',
      'created_on      2023-11-14 22:13:20 UTC',
    ])
  })

  it('prints tab-separated rows off a terminal and a boxed table with headers on one', async () => {
    const style = await createStyle(false)
    const rows = [{currency: 'USD', amount: 125_000}, {currency: 'JPY', amount: 500}]
    const columns = [{field: 'currency'}, {field: 'amount', kind: 'money' as const, currencyField: 'currency'}]
    expect(await renderTable(rows, columns, {style, tty: false})).toBe('USD\t1,250.00 USD\nJPY\t500 JPY')
    const boxed = await renderTable(rows, columns, {style, tty: true})
    expect(boxed).toContain('CURRENCY')
    expect(boxed).toContain('1,250.00 USD')
    expect(await renderHuman({balance: rows}, columns, {style, tty: false})).toBe('USD\t1,250.00 USD\nJPY\t500 JPY')
  })

  it('colours statuses only when colour is on', async () => {
    expect((await createStyle(true)).status('paid')).toBe('\u001B[32mpaid\u001B[39m')
    expect((await createStyle(false)).status('paid')).toBe('paid')
  })

  it('turns colour and prompts off without a terminal, under NO_COLOR, with --json and in CI', () => {
    const tty = {isTTY: true}
    expect(detectTerminal({json: false, env: {}, stdin: tty, stdout: tty, stderr: tty})).toEqual({color: true, interactive: true, progress: true})
    expect(detectTerminal({json: true, env: {}, stdin: tty, stdout: tty, stderr: tty})).toEqual({color: false, interactive: false, progress: false})
    expect(detectTerminal({json: false, env: {NO_COLOR: '1'}, stdin: tty, stdout: tty}).color).toBe(false)
    expect(detectTerminal({json: false, env: {CI: 'true'}, stdin: tty, stdout: tty}).interactive).toBe(false)
    expect(detectTerminal({json: false, env: {}, stdin: {isTTY: false}, stdout: {isTTY: false}, stderr: {isTTY: false}})).toEqual({color: false, interactive: false, progress: false})
    expect(detectTerminal({json: false, color: 'always', env: {}, stdin: {}, stdout: {}}).color).toBe(true)
  })
})

describe('keys', () => {
  it('never shows a whole key', () => {
    expect(maskKey('sk_test_4eC39HqLyjWDarjtT1zdp7dc')).toBe('sk_test_…p7dc')
    expect(maskKey('sk_live_short')).toBe('sk_live_…')
    expect(maskKey('sk_test_x')).toBe('sk_test_…')
    expect(maskKey('whatever-secret-value-123')).toBe('wha…-123')
    expect(redact('Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc!', ['sk_test_4eC39HqLyjWDarjtT1zdp7dc'])).toBe('Bearer sk_test_…p7dc!')
  })
})
