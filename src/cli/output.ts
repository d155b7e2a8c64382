/**
 * Human output: tables for lists, key/value views for objects, money from
 * minor units with the currency's own decimals, coloured statuses, tables
 * fitted to the terminal's width. chalk is imported only when colour is wanted.
 */
import type {Column} from '../api/endpoints.js'
import {isPage} from '../api/paginate.js'
import {getPath} from '../api/validate.js'
import {relativeTime} from '../shared/duration.js'
import {formatMoney} from '../shared/money.js'
import {displayWidth, truncateTo} from '../shared/terminal-text.js'

export interface Style {
  status(text: string): string
  dim(text: string): string
  bold(text: string): string
  error(text: string): string
  success(text: string): string
}

const plain: Style = {status: (t) => t, dim: (t) => t, bold: (t) => t, error: (t) => t, success: (t) => t}

const GOOD = new Set(['paid', 'active', 'completed', 'delivered', 'sent', 'success', 'succeeded', 'test', 'valid'])
const WAITING = new Set(['created', 'hold', 'pending', 'pending_capture', 'pending_release', 'processing', 'retrying'])
const BAD = new Set(['cancelled', 'failed', 'error', 'payment_failure', 'live', 'invalid', 'expired'])

export async function createStyle(color: boolean): Promise<Style> {
  if (!color) return plain
  const {Chalk} = await import('chalk')
  const chalk = new Chalk({level: 1})
  return {
    status(text) {
      if (GOOD.has(text)) return chalk.green(text)
      if (WAITING.has(text)) return chalk.yellow(text)
      if (BAD.has(text)) return chalk.red(text)
      return chalk.cyan(text)
    },
    dim: (text) => chalk.dim(text),
    bold: (text) => chalk.bold(text),
    error: (text) => chalk.red(text),
    success: (text) => chalk.green(text),
  }
}

/**
 * Unix seconds in the local time zone (`TZ`, else the system's), saying
 * which: `2023-11-14 22:13:20 UTC`, `2023-11-15 02:13:20 +04:00`.
 */
export function formatDate(seconds: number): string {
  const date = new Date(seconds * 1000)
  if (Number.isNaN(date.getTime())) return String(seconds)
  const offset = -date.getTimezoneOffset()
  const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19).replace('T', ' ')
  if (offset === 0) return `${local} UTC`
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')
  const minutes = String(Math.abs(offset) % 60).padStart(2, '0')
  return `${local} ${offset < 0 ? '-' : '+'}${hours}:${minutes}`
}

/** Unix seconds as ISO 8601 in UTC, for scripts: `2023-11-14T22:13:20Z`. */
export function isoDate(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? String(seconds) : `${date.toISOString().slice(0, 19)}Z`
}

const MONEY_FIELDS = new Set(['amount', 'captured_amount', 'paid_amount', 'price', 'refunded_amount', 'total_amount'])

function isDateField(key: string): boolean {
  return /_(on|at)$/.test(key)
}

function scalar(key: string, value: unknown, currency: string | undefined, style: Style, nowMs?: number): string {
  if (value === null || value === undefined || value === '') return style.dim('—')
  if (typeof value === 'number' && MONEY_FIELDS.has(key)) return formatMoney(value, currency)
  // A detail view says how long ago beside the time (a table keeps its column narrow).
  if (typeof value === 'number' && isDateField(key))
    return nowMs === undefined ? formatDate(value) : `${formatDate(value)} ${style.dim(`(${relativeTime(value, nowMs)})`)}`
  if (key === 'status' && typeof value === 'string') return style.status(value)
  if (Array.isArray(value)) return value.map(String).join(', ')
  return String(value)
}

/** A key/value view of one object; nested objects are indented under their key; times say how long ago (from `nowMs`). */
export function renderObject(object: Record<string, unknown>, style: Style, nowMs = Date.now()): string {
  const rows: Array<[string, string]> = []
  const walk = (node: Record<string, unknown>, depth: number, inherited: string | undefined) => {
    // An object's own currency, else its purchase's (`purchase.currency`, at any depth), else its parent's.
    const own = typeof node.currency === 'string' ? node.currency : getPath(node, 'purchase.currency')
    const currency = typeof own === 'string' ? own : inherited
    for (const [key, value] of Object.entries(node)) {
      const label = `${'  '.repeat(depth)}${key}`
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        rows.push([label, ''])
        walk(value as Record<string, unknown>, depth + 1, currency)
      } else if (Array.isArray(value) && value.some((item) => typeof item === 'object' && item !== null)) {
        rows.push([label, ''])
        for (const [index, item] of value.entries()) {
          rows.push([`${'  '.repeat(depth + 1)}[${index}]`, ''])
          walk(item as Record<string, unknown>, depth + 2, currency)
        }
      } else {
        rows.push([label, scalar(key, value, currency, style, nowMs)])
      }
    }
  }
  // A purchase keeps its currency in `purchase.currency`, beside its top-level amounts.
  const purchaseCurrency = getPath(object, 'purchase.currency')
  walk(object, 0, typeof purchaseCurrency === 'string' ? purchaseCurrency : undefined)
  const width = Math.max(0, ...rows.map(([label]) => label.length))
  return rows.map(([label, value]) => (value ? `${style.bold(label.padEnd(width))}  ${value}` : style.bold(label))).join('\n')
}

/** A value for scripts: minor units as they are, times in ISO 8601, lists comma-separated, nothing for empty. */
function rawValue(value: unknown, isDate: boolean): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' && isDate) return isoDate(value)
  if (Array.isArray(value)) return value.map(String).join(',')
  if (typeof value === 'object') return JSON.stringify(value)
  // A tab or newline inside a value would break the columns.
  return String(value).replaceAll(/[\t\n\r]/g, ' ')
}

function rawCell(item: unknown, column: Column): string {
  const last = column.field.split('.').pop() ?? column.field
  return rawValue(getPath(item, column.field), column.kind === 'date' || isDateField(last))
}

const isScalar = (value: unknown) => typeof value !== 'object' || value === null

/**
 * One object for scripts (`grep ^status | cut -f2`): a `path<TAB>value` line
 * per field, nested fields by dotted path (`client.email`, `purchase.products.0.price`),
 * values raw as in piped tables.
 */
export function rawObject(object: Record<string, unknown>): string {
  const lines: string[] = []
  const walk = (node: unknown, path: string, key: string) => {
    const children = isScalar(node) || (Array.isArray(node) && node.every(isScalar)) ? [] : Object.entries(node as object)
    if (children.length === 0) lines.push(`${path}\t${rawValue(Array.isArray(node) || isScalar(node) ? node : '', isDateField(key))}`)
    for (const [childKey, value] of children) walk(value, `${path}.${childKey}`, childKey)
  }
  for (const [key, value] of Object.entries(object)) walk(value, key, key)
  return lines.join('\n')
}

function cell(item: unknown, column: Column, style: Style): string {
  const value = getPath(item, column.field)
  const last = column.field.split('.').pop() ?? column.field
  if (column.kind === 'money' && typeof value === 'number') {
    const currency = column.currencyField ? getPath(item, column.currencyField) : undefined
    return formatMoney(value, typeof currency === 'string' ? currency : undefined)
  }
  if (column.kind === 'date' && typeof value === 'number') return formatDate(value)
  // A date the server wrote as ISO 8601 text (the relay's created_at) reads like every other table's.
  if (column.kind === 'date' && typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) && !Number.isNaN(Date.parse(value)))
    return formatDate(Date.parse(value) / 1000)
  if (column.kind === 'status' && typeof value === 'string') return style.status(value)
  return scalar(last, value, undefined, style)
}

function inferColumns(items: readonly unknown[]): Column[] {
  const first = items.find((item) => typeof item === 'object' && item !== null) as Record<string, unknown> | undefined
  if (!first) return [{field: 'value'}]
  return Object.entries(first)
    .filter(([, value]) => typeof value !== 'object' || value === null)
    .slice(0, 7)
    .map(([field]) => ({field, kind: field === 'status' ? 'status' : isDateField(field) ? 'date' : undefined}))
}

export interface TableOptions {
  style: Style
  /**
   * For people (a terminal): tables with headers, key/value views, money formatted.
   * For scripts: tab-separated rows (and `path<TAB>value` lines) of raw values, for cut and awk.
   */
  tty: boolean
  /** The terminal's columns: a table for people is fitted to them. Unknown (forced into a pipe without COLUMNS): not fitted. */
  width?: number
}

/** Two spaces between columns, no borders: gh's table, which leaves the most room for values. */
const GAP = 2
/** A cut column keeps at least this much (`ab…`), so something of each value shows. */
const MIN_WIDTH = 5

/** Ids stay whole: a cut id cannot be pasted into the next command. */
function isIdColumn(column: Column): boolean {
  return column.whole === true || column.field === 'id' || /[._]id$/.test(column.field)
}

/** Takes a column at a time from the widest of `candidates` (none below its floor) until `excess` is gone; what is still over. */
function shrink(widths: number[], candidates: readonly number[], floors: readonly number[], excess: number): number {
  let over = excess
  for (;;) {
    const cuttable = candidates.filter((index) => widths[index] > floors[index])
    if (over <= 0 || cuttable.length === 0) return over
    const widest = cuttable.reduce((best, index) => (widths[index] > widths[best] ? index : best))
    widths[widest] -= 1
    over -= 1
  }
}

/**
 * The widths that fit `width` columns, as gh's table printer does: the widest
 * cut column gives a column at a time until the row fits; ids are never cut.
 * When even each column's floor (MIN_WIDTH; a date's is its day, 10) does not
 * fit, the last columns that can go are left out (undefined) and the caller says so; when only ids are left and still too
 * wide, they are cut too, rather than a row that wraps.
 */
export function fitWidths(
  natural: readonly number[],
  fixed: readonly boolean[],
  width: number,
  floors: readonly number[] = natural.map(() => MIN_WIDTH),
): Array<number | undefined> {
  const shown = natural.map(() => true)
  const lowest = natural.map(() => MIN_WIDTH)
  for (;;) {
    const indexes = natural.flatMap((_, index) => (shown[index] ? [index] : []))
    const widths = natural.map((value, index) => (shown[index] ? value : 0))
    const total = indexes.reduce((sum, index) => sum + widths[index], 0) + GAP * (indexes.length - 1)
    let excess = shrink(
      widths,
      indexes.filter((index) => !fixed[index]),
      floors,
      total - width,
    )
    const dropped = indexes.findLast((index) => !fixed[index])
    if (dropped === undefined || indexes.length === 1) excess = shrink(widths, indexes, lowest, excess)
    if (excess <= 0 || dropped === undefined || indexes.length === 1) return natural.map((_, index) => (shown[index] ? widths[index] : undefined))
    shown[dropped] = false
  }
}

const DAY = '2023-11-14'

/** A table's date in the room it has: `2023-11-14 22:13:20 UTC`, else `2023-11-14 22:13`, else `2023-11-14`; a cut date would say nothing. */
function shorterDate(text: string, width: number): string {
  if (!/^\d{4}-\d\d-\d\d \d\d:\d\d/.test(text)) return truncateTo(text, width)
  return [text, text.slice(0, 16), text.slice(0, 10)].find((form) => form.length <= width) ?? truncateTo(text, width)
}

export async function renderTable(items: readonly unknown[], columns: readonly Column[] | undefined, options: TableOptions): Promise<string> {
  const rows = items.map((item) => (typeof item === 'object' && item !== null ? item : {value: item}))
  const cols = columns ?? inferColumns(rows)
  if (!options.tty) return rows.map((row) => cols.map((column) => rawCell(row, column)).join('\t')).join('\n')
  if (rows.length === 0) return options.style.dim('No results.')
  const {style} = options
  const head = cols.map((column) => (column.header ?? column.field.split('.').pop() ?? column.field).toUpperCase())
  // Widths are measured and cut on plain text; colour goes on after, so a cut never splits a sequence.
  const cells = rows.map((row) => cols.map((column) => cell(row, column, plain)))
  const natural = cols.map((_, index) => Math.max(displayWidth(head[index]), ...cells.map((row) => displayWidth(row[index]))))
  const floors = cols.map((column) => (column.kind === 'date' ? DAY.length : MIN_WIDTH))
  const widths = options.width ? fitWidths(natural, cols.map(isIdColumn), options.width, floors) : natural
  const line = (values: string[], paint: (text: string, index: number, cut: boolean) => string) => {
    const parts: string[] = []
    for (const [index, value] of values.entries()) {
      const width = widths[index]
      if (width === undefined) continue
      const text = cols[index].kind === 'date' ? shorterDate(value, width) : truncateTo(value, width)
      parts.push(paint(text, index, text !== value) + ' '.repeat(width - displayWidth(text)))
    }
    return parts.join(' '.repeat(GAP)).trimEnd()
  }
  const lines = [line(head, (text) => style.bold(text))]
  for (const row of cells) {
    lines.push(
      line(row, (text, index, cut) => {
        if (text === '—') return style.dim(text)
        return cols[index].kind === 'status' && !cut ? style.status(text) : text
      }),
    )
  }
  const hidden = cols.filter((_, index) => widths[index] === undefined).map((column) => column.header ?? column.field)
  if (hidden.length > 0 && options.width)
    lines.push(style.dim(truncateTo(`Not shown at this width: ${hidden.join(', ')} (--json has every field).`, options.width)))
  return lines.join('\n')
}

/**
 * The human view of whatever a command returned: a page or an array as a
 * table, an object whose only field is a list (`{"balance": [...]}`) as a
 * table of that list, any other object as a key/value view.
 */
export async function renderHuman(data: unknown, columns: readonly Column[] | undefined, options: TableOptions): Promise<string> {
  if (data === undefined || data === null) return ''
  if (typeof data !== 'object') return String(data)
  if (Array.isArray(data)) return renderTable(data, columns, options)
  if (isPage(data)) {
    const table = await renderTable(data.results, columns, options)
    return data.next && options.tty ? `${table}\n${options.style.dim('More results: add --all, or --limit N.')}` : table
  }
  const entries = Object.entries(data)
  if (entries.length === 1 && Array.isArray(entries[0][1])) return renderTable(entries[0][1], columns, options)
  return options.tty ? renderObject(data as Record<string, unknown>, options.style) : rawObject(data as Record<string, unknown>)
}
