/** On a terminal, missing required input is asked for and destructive verbs confirm (driven through a pseudo-terminal). */
import {describe, expect, inject, it} from 'vitest'

import {tempConfigDir} from '../helpers/cli.js'
import {type PtyResult, onTerminal as runOnTerminal} from '../helpers/pty.js'
import {BRAND, sandboxCli} from './helpers.js'

const ummah = sandboxCli()
const ENTER = '\r'
const DOWN = '\u001B[B'

function onTerminal(args: string[], steps: Array<[string, string]>, extra: Record<string, string> = {}): Promise<PtyResult> {
  return runOnTerminal(args, steps, {
    UMMAH_API_BASE: inject('sandboxApiBase'),
    UMMAH_SECRET_KEY: ummah.key,
    UMMAH_CONFIG_DIR: tempConfigDir(),
    ...extra,
  })
}

describe('prompts on a terminal', () => {
  it('purchases create asks for the email and the products one by one, re-asking on a bad price', async () => {
    const result = await onTerminal(
      ['purchases', 'create', '--brand-id', BRAND, '--currency', 'EUR'],
      [
        ['Customer email address', `prompt@example.com${ENTER}`],
        ['Product 1 name', `Tea${ENTER}`],
        ['Price in minor units', `350${ENTER}`],
        ['Quantity', `2${ENTER}`],
        ['Add another product', `y${ENTER}`],
        ['Product 2 name', `Cake${ENTER}`],
        ['Price in minor units', `29.5${ENTER}`],
        ['A whole number greater than 0', `\u0015500${ENTER}`],
        ['Quantity', ENTER],
        ['Add another product', ENTER],
      ],
    )
    expect(result.code, result.output).toBe(0)
    expect(result.output).toMatch(/Checkout URL: http:\/\/127\.0\.0\.1:\d+\/checkout\//)
    const id = /id\s+([0-9a-f-]{36})/.exec(result.output)![1]
    const purchase = await ummah.json(['purchases', 'retrieve', id])
    expect(purchase.client.email).toBe('prompt@example.com')
    expect(purchase.purchase).toMatchObject({
      currency: 'EUR',
      products: [
        {name: 'Tea', price: 350, quantity: 2},
        {name: 'Cake', price: 500, quantity: 1},
      ],
    })
  })

  it('a required currency is picked from a list', async () => {
    const result = await onTerminal(['payment-methods', 'list', '--brand-id', BRAND], [['Currency', `${DOWN}${ENTER}`]])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toMatch(/✔ Currency EUR/)
    expect(result.output).toMatch(/available_payment_methods\s+visa, mastercard/)
  })

  it('a destructive verb asks first: no leaves the object alone, yes goes ahead', async () => {
    const client = await ummah.json(['clients', 'create', '--email', 'confirm@example.com'])
    const kept = await onTerminal(['clients', 'delete', client.id], [[`Delete client ${client.id}\\?`, `n${ENTER}`]])
    expect(kept.code).toBe(2)
    expect(kept.output).toContain('Cancelled: nothing was changed')
    expect((await ummah.json(['clients', 'retrieve', client.id])).id).toBe(client.id)

    const gone = await onTerminal(['clients', 'delete', client.id], [[`Delete client ${client.id}\\?`, `y${ENTER}`]])
    expect(gone.code, gone.output).toBe(0)
    expect((await ummah(['clients', 'retrieve', client.id])).code).toBe(4)
  })

  it('a refund asks with its amount in the purchase currency beside the total; no refunds nothing', async () => {
    const purchase = await ummah.json([
      'purchases',
      'create',
      '--brand-id',
      BRAND,
      '--email',
      'refund@example.com',
      '--product',
      'Book:2999',
      '--currency',
      'USD',
    ])
    expect((await ummah(['sandbox', 'pay', purchase.id])).code).toBe(0)
    // The question may wrap at the terminal's width: matched on its start, then read whole with the line breaks as spaces.
    const part = await onTerminal(['purchases', 'refund', purchase.id, '--amount', '500'], [[`Refund 5\\.00 USD of purchase`, `n${ENTER}`]])
    expect(part.code, part.output).toBe(2)
    expect(part.output.replaceAll(/\s+/g, ' ')).toContain(`Refund 5.00 USD of purchase ${purchase.id} (total 29.99 USD)?`)
    expect((await ummah.json(['purchases', 'retrieve', purchase.id])).status).toBe('paid')
    const full = await onTerminal(['purchases', 'refund', purchase.id], [[`Refund purchase`, `y${ENTER}`]])
    expect(full.code, full.output).toBe(0)
    expect(full.output.replaceAll(/\s+/g, ' ')).toContain(`Refund purchase ${purchase.id} in full (29.99 USD)?`)
    expect((await ummah.json(['purchases', 'retrieve', purchase.id])).status).toBe('refunded')
  })

  it('a missing argument is asked for: a picker for trigger’s events, a line for an id; off a terminal one clean line, exit 2', async () => {
    const picked = await onTerminal(
      ['trigger'],
      [
        ['EVENT', `${DOWN}${ENTER}`],
        ['Run it\\?', `y${ENTER}`],
      ],
    )
    expect(picked.code, picked.output).toBe(0)
    expect(picked.output).toMatch(/✔ EVENT: The event to cause purchase\.paid/)
    expect(picked.output).toMatch(/✓ paid/)
    const purchase = await ummah.json(['purchases', 'create', '--brand-id', BRAND, '--email', 'arg@example.com', '--product', 'Tea:350'])
    const typed = await onTerminal(['purchases', 'retrieve'], [['ID', `${purchase.id}${ENTER}`]])
    expect(typed.code, typed.output).toBe(0)
    expect(typed.output).toContain('arg@example.com')
    const off = await ummah(['trigger'])
    expect([off.code, off.stderr]).toEqual([
      2,
      'Error: Missing argument EVENT: one of purchase.created, purchase.paid, purchase.payment_failure, purchase.hold, purchase.captured, purchase.released, purchase.refunded, purchase.cancelled, purchase.subscription_charge_failure, billing_template.client_activated. Give it: ummah trigger EVENT. See `ummah trigger --help`.\n',
    ])
  })

  it('the spinner at 50 columns redraws one line cut to the width; under TERM=dumb it does not animate', async () => {
    const narrow = await onTerminal(['statements', 'create', '--format', 'csv', '--wait'], [], {PTY_COLUMNS: '50'})
    expect(narrow.code, narrow.output).toBe(0)
    // Every redraw: back to the line's start, the line cleared, then at most 49 columns (the status names a 36-character id).
    const frames = narrow.raw
      .split('\r\u001B[2K')
      .slice(1)
      .map((frame) => frame.split('\n')[0].replaceAll(/\u001B\[[\d;?]*[A-Za-z]/g, ''))
    // The status (`Statement stmt-… is processing…`, 63 columns) is cut to fit, ending in an ellipsis.
    expect(frames.some((frame) => /^. Statement stmt-[\w-]+…$/.test(frame))).toBe(true)
    // (After the last redraw the line is cleared and the command's own output follows: not a frame.)
    const spinning = frames.filter((frame) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /.test(frame))
    expect(spinning.length).toBeGreaterThan(3)
    expect(spinning.filter((frame) => [...frame].length > 49)).toEqual([])
    const dumb = await onTerminal(['statements', 'create', '--format', 'csv', '--wait'], [], {TERM: 'dumb'})
    expect(dumb.code, dumb.output).toBe(0)
    expect(dumb.raw).not.toContain('\u001B[2K')
    expect(dumb.raw).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/)
    expect(dumb.raw.match(/Waiting for the statement…/g)).toHaveLength(1)
  })

  it('--no-input and UMMAH_NO_INPUT forbid asking on a terminal: exit 2, nothing deleted', async () => {
    const client = await ummah.json(['clients', 'create', '--email', 'no-input@example.com'])
    for (const [args, extra] of [
      [['clients', 'delete', client.id, '--no-input'], {}],
      [['clients', 'delete', client.id], {UMMAH_NO_INPUT: '1'}],
    ] as Array<[string[], Record<string, string>]>) {
      const refused = await onTerminal(args, [], extra)
      expect(refused.code, refused.output).toBe(2)
      expect(refused.output).toContain(`Delete client ${client.id}: confirmation needed and --no-input forbids asking. Pass --yes to confirm.`)
    }
    expect((await ummah(['clients', 'retrieve', client.id])).code).toBe(0)
  })
})
