import {describe, expect, it} from 'vitest'

import {createStyle, fitWidths, formatDate, renderHuman, renderObject, renderTable} from '../../src/cli/output.js'
import {displayWidth, truncateTo} from '../../src/shared/terminal-text.js'
import {relativeTime} from '../../src/shared/duration.js'
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

  it('formats unix seconds in TZ, saying the zone', () => {
    const saved = process.env.TZ
    try {
      // Node re-reads TZ when it is assigned.
      process.env.TZ = 'UTC'
      expect(formatDate(1_700_000_000)).toBe('2023-11-14 22:13:20 UTC')
      process.env.TZ = 'Asia/Dubai'
      expect(formatDate(1_700_000_000)).toBe('2023-11-15 02:13:20 +04:00')
      process.env.TZ = 'America/St_Johns'
      expect(formatDate(1_700_000_000)).toBe('2023-11-14 18:43:20 -03:30')
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
  })
})

describe('views', () => {
  it('shows an object as key/value with money, dates and nesting', async () => {
    const text = renderObject(
      {
        id: 'p1',
        status: 'paid',
        purchase: {total_amount: 2999, currency: 'USD', products: [{name: 'T-Shirt', price: 2999}]},
        created_on: 1_700_000_000,
      },
      await createStyle(false),
      // Three minutes and five seconds later.
      1_700_000_185_000,
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
      'created_on      2023-11-14 22:13:20 UTC (3 minutes ago)',
    ])
  })

  it('prints tab-separated rows off a terminal and a table with headers on one', async () => {
    const style = await createStyle(false)
    const rows = [
      {currency: 'USD', amount: 125_000},
      {currency: 'JPY', amount: 500},
    ]
    const columns = [{field: 'currency'}, {field: 'amount', kind: 'money' as const, currencyField: 'currency'}]
    // Piped: raw values for scripts (minor units, ISO times, empty cells empty).
    expect(await renderTable(rows, columns, {style, tty: false})).toBe('USD\t125000\nJPY\t500')
    const mixed = [{id: 'a', created_on: 1_700_000_000, events: ['x', 'y'], title: null}]
    expect(
      await renderTable(mixed, [{field: 'id'}, {field: 'created_on', kind: 'date'}, {field: 'events', kind: 'list'}, {field: 'title'}], {
        style,
        tty: false,
      }),
    ).toBe('a\t2023-11-14T22:13:20Z\tx,y\t')
    // On a terminal: gh's table, headers upper-cased, two spaces between columns, money formatted, no trailing blanks.
    expect(await renderTable(rows, columns, {style, tty: true})).toBe('CURRENCY  AMOUNT\nUSD       1,250.00 USD\nJPY       500 JPY')
    expect(await renderHuman({balance: rows}, columns, {style, tty: false})).toBe('USD\t125000\nJPY\t500')
  })

  it('prints one object off a terminal as path<TAB>raw value lines, nested fields by dotted path', async () => {
    const style = await createStyle(false)
    const purchase = {
      id: 'p-1',
      status: 'paid',
      created_on: 1_700_000_000,
      reference: '',
      notes: null,
      payment_method_whitelist: ['visa', 'mastercard'],
      purchase: {
        currency: 'USD',
        total_amount: 3999,
        products: [
          {name: 'Tab\there', price: 2999},
          {name: 'Socks', price: 500},
        ],
      },
      client: {},
      refunds: [],
    }
    expect(await renderHuman(purchase, undefined, {style, tty: false})).toBe(
      [
        'id\tp-1',
        'status\tpaid',
        'created_on\t2023-11-14T22:13:20Z',
        'reference\t',
        'notes\t',
        'payment_method_whitelist\tvisa,mastercard',
        'purchase.currency\tUSD',
        'purchase.total_amount\t3999',
        'purchase.products.0.name\tTab here',
        'purchase.products.0.price\t2999',
        'purchase.products.1.name\tSocks',
        'purchase.products.1.price\t500',
        'client\t',
        'refunds\t',
      ].join('\n'),
    )
    // On a terminal: the key/value view, money formatted.
    expect(await renderHuman(purchase, undefined, {style, tty: true})).toMatch(/^ {2}total_amount +39\.99 USD$/m)
  })

  it('formats money at any depth with the currency of the purchase it belongs to', async () => {
    const text = renderObject(
      {status: 'paid', purchase: {id: 'p', captured_amount: 1500, purchase: {currency: 'KWD', total_amount: 2000}}},
      await createStyle(false),
    )
    expect(text).toMatch(/^ {2}captured_amount +1\.500 KWD$/m)
    expect(text).toMatch(/^ {4}total_amount +2\.000 KWD$/m)
  })

  it('colours statuses only when colour is on', async () => {
    expect((await createStyle(true)).status('paid')).toBe('\u001B[32mpaid\u001B[39m')
    expect((await createStyle(false)).status('paid')).toBe('paid')
  })

  it('turns colour and prompts off without a terminal, under NO_COLOR, with --json and in CI', () => {
    const tty = {isTTY: true}
    expect(detectTerminal({json: false, env: {}, stdin: tty, stdout: tty, stderr: tty})).toEqual({
      human: true,
      color: true,
      interactive: true,
      progress: true,
    })
    expect(detectTerminal({json: true, env: {}, stdin: tty, stdout: tty, stderr: tty})).toEqual({
      human: true,
      color: false,
      interactive: false,
      progress: false,
    })
    expect(detectTerminal({json: false, env: {NO_COLOR: '1'}, stdin: tty, stdout: tty}).color).toBe(false)
    expect(detectTerminal({json: false, env: {CI: 'true'}, stdin: tty, stdout: tty}).interactive).toBe(false)
    expect(detectTerminal({json: false, env: {}, stdin: {isTTY: false}, stdout: {isTTY: false}, stderr: {isTTY: false}})).toEqual({
      human: false,
      color: false,
      interactive: false,
      progress: false,
    })
    // UMMAH_FORCE_TTY (gh's GH_FORCE_TTY): terminal-style views and colour into a pipe, but never a prompt.
    expect(detectTerminal({json: false, env: {UMMAH_FORCE_TTY: '1'}, stdin: {isTTY: false}, stdout: {isTTY: false}, stderr: {isTTY: false}})).toEqual(
      {human: true, color: true, interactive: false, progress: false},
    )
    expect(detectTerminal({json: false, color: 'always', env: {}, stdin: {}, stdout: {}}).color).toBe(true)
  })
})

describe('keys', () => {
  it('never shows a whole key', () => {
    expect(maskKey('sk_test_4eC39HqLyjWDarjtT1zdp7dc')).toBe('sk_test_…p7dc')
    expect(maskKey('sk_live_short')).toBe('sk_live_…')
    expect(maskKey('sk_test_x')).toBe('sk_test_…')
    // Short test keys stay apart (the last two of at least six); a short live key shows nothing.
    expect(maskKey('sk_test_sandbox')).toBe('sk_test_…ox')
    expect(maskKey('sk_test_ci0001')).toBe('sk_test_…01')
    expect(maskKey('sk_test_ci0002')).not.toBe(maskKey('sk_test_ci0001'))
    expect(maskKey('sk_test_ci01')).toBe('sk_test_…')
    expect(maskKey('sk_live_short1')).toBe('sk_live_…')
    expect(maskKey('whatever-secret-value-123')).toBe('wha…-123')
    expect(redact('Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc!', ['sk_test_4eC39HqLyjWDarjtT1zdp7dc'])).toBe('Bearer sk_test_…p7dc!')
  })
})

describe('tables fitted to the terminal', () => {
  const columns = [{field: 'id'}, {field: 'email'}, {field: 'full_name', header: 'name'}, {field: 'status', kind: 'status' as const}]
  const id = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
  const rows = [
    {id, email: 'a-very-long-address-for-testing@example.com', full_name: 'Ṣàlá Ọ̀rọ̀ 김민준 with a long name', status: 'paid'},
    {id: id.replace('7c', '8d'), email: 'b@example.com', full_name: 'B', status: 'pending'},
  ]

  it('cuts the widest columns with … so no line is wider than the terminal, ids whole', async () => {
    const style = await createStyle(false)
    for (const width of [80, 60, 50]) {
      const text = await renderTable(rows, columns, {style, tty: true, width})
      for (const line of text.split('\n')) expect(displayWidth(line), `${width}: ${line}`).toBeLessThanOrEqual(width)
      expect(text).toContain(id)
      expect(text).toContain(id.replace('7c', '8d'))
      expect(text).toContain('…')
    }
    // Wide enough: nothing is cut.
    const whole = await renderTable(rows, columns, {style, tty: true, width: 200})
    expect(whole).not.toContain('…')
    expect(whole).toContain(rows[0].email)
  })

  it('cuts the widest first and leaves out trailing columns only when even 5 columns each cannot fit', () => {
    expect(fitWidths([36, 40, 10, 7], [true, false, false, false], 80)).toEqual([36, 21, 10, 7])
    expect(fitWidths([36, 40, 30, 7], [true, false, false, false], 80)).toEqual([36, 15, 16, 7])
    // 36 + 5 + 5 + 5 and three gaps of 2 is 57: at 50 the last column goes, then the next.
    expect(fitWidths([36, 40, 30, 7], [true, false, false, false], 50)).toEqual([36, 5, 5, undefined])
    // Only ids left and still too wide: cut too, rather than wrap.
    expect(fitWidths([36, 40], [true, false], 30)).toEqual([30, undefined])
    expect(fitWidths([20, 20], [true, true], 30)).toEqual([14, 14])
  })

  it('says which columns are not shown, and colours statuses only when whole', async () => {
    const text = await renderTable(rows, columns, {style: await createStyle(false), tty: true, width: 50})
    expect(text.split('\n').at(-1)).toBe('Not shown at this width: status (--json has every…')
    const coloured = await renderTable(rows, columns, {style: await createStyle(true), tty: true, width: 200})
    expect(coloured).toContain('\u001B[32mpaid\u001B[39m')
  })

  it('shortens a date to its minute, then its day, never cutting it', async () => {
    const style = await createStyle(false)
    const dated = [{id, note: 'x'.repeat(60), created_on: 1_700_000_000}]
    const cols = [{field: 'id'}, {field: 'note'}, {field: 'created_on', header: 'created', kind: 'date' as const}]
    const at = async (width: number) => (await renderTable(dated, cols, {style, tty: true, width})).split('\n')[1]
    const previous = process.env.TZ
    process.env.TZ = 'UTC'
    try {
      expect(await at(200)).toMatch(/ 2023-11-14 22:13:20 UTC$/)
      // The widest column gives first: the note down to the date's width, then both by turns.
      expect(await at(86)).toMatch(/x… {2}2023-11-14 22:13:20 UTC$/)
      expect(await at(80)).toMatch(/x… {2}2023-11-14 22:13$/)
      expect(await at(60)).toMatch(/x… {2}2023-11-14$/)
    } finally {
      process.env.TZ = previous
    }
  })

  it('relative times: just now, the largest whole unit, ahead', () => {
    const now = 1_700_000_000_000
    expect(relativeTime(1_700_000_000 - 5, now)).toBe('just now')
    expect(relativeTime(1_700_000_000 - 59, now)).toBe('59 seconds ago')
    expect(relativeTime(1_700_000_000 - 60, now)).toBe('1 minute ago')
    expect(relativeTime(1_700_000_000 - 7200, now)).toBe('2 hours ago')
    expect(relativeTime(1_700_000_000 - 86_400 * 3, now)).toBe('3 days ago')
    expect(relativeTime(1_700_000_000 + 86_400 * 40, now)).toBe('in 1 month')
  })

  it('measures wide and combining characters as a terminal draws them', () => {
    expect(displayWidth('김민준')).toBe(6)
    // Three letters, two of them with a combining grave accent.
    expect(displayWidth('Ọ̀rọ̀')).toBe(3)
    expect(displayWidth('\u001B[31mred\u001B[39m')).toBe(3)
    expect(truncateTo('김민준abc', 5)).toBe('김민…')
    expect(truncateTo('short', 5)).toBe('short')
  })
})
