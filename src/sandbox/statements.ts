/**
 * Statement files: the account's transactions (charges and refunds) as CSV, or
 * as an XLSX workbook (a zip of SpreadsheetML parts, written here so the
 * sandbox needs no spreadsheet library).
 */
import type {ServerResponse} from 'node:http'
import {crc32, deflateRawSync} from 'node:zlib'

import {minorToDecimal} from '../shared/money.js'
import {SandboxError, notFound} from './errors.js'
import {type Account, type SandboxStore, type StatementRecord, nowMs} from './store.js'

const COLUMNS = ['id', 'type', 'status', 'purchase_id', 'client_email', 'amount', 'amount_minor', 'currency', 'method', 'reference', 'created_at']

/** A statement finishes once its delay has passed on the account's test clock. */
export function refreshStatement(account: Account, statement: StatementRecord): StatementRecord {
  if (statement.status === 'processing' && nowMs(account) >= statement.ready_at) statement.status = 'completed'
  return statement
}

function localTime(seconds: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(seconds * 1000))
  const get = (type: string) => parts.find((part) => part.type === type)?.value
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`
}

export function statementRows(account: Account, timezone: string): string[][] {
  return account.payments.map((payment) => [
    payment.id,
    payment.type,
    payment.status,
    payment.purchase,
    account.purchases[payment.purchase]?.client.email ?? '',
    minorToDecimal(payment.type === 'refund' ? -payment.amount : payment.amount, payment.currency),
    String(payment.type === 'refund' ? -payment.amount : payment.amount),
    payment.currency,
    payment.method,
    payment.reference ?? '',
    localTime(payment.created_on, timezone),
  ])
}

/**
 * A text cell a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+…`,
 * `-…`, `@…`, or a leading tab or CR) gets a leading `'`, as OWASP's CSV
 * injection advice and the spreadsheet tools expect; numbers (`-15.00`) stay
 * numbers.
 */
function neutralised(value: string): string {
  return /^[=+\-@\t\r]/.test(value) && !/^-?\d+(?:\.\d+)?$/.test(value) ? `'${value}` : value
}

function csvField(raw: string): string {
  const value = neutralised(raw)
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

export function toCsv(rows: string[][]): Buffer {
  return Buffer.from([COLUMNS, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n')
}

function xml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

function column(index: number): string {
  let name = ''
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCodePoint(65 + ((n - 1) % 26)) + name
  return name
}

export function toXlsx(rows: string[][]): Buffer {
  const sheetRows = [COLUMNS, ...rows]
    .map((row, r) => {
      const cells = row.map((value, c) => {
        const ref = `${column(c)}${r + 1}`
        return r > 0 && (COLUMNS[c] === 'amount' || COLUMNS[c] === 'amount_minor')
          ? `<c r="${ref}"><v>${value}</v></c>`
          : `<c r="${ref}" t="inlineStr"><is><t>${xml(value)}</t></is></c>`
      })
      return `<row r="${r + 1}">${cells.join('')}</row>`
    })
    .join('')
  const files: Record<string, string> = {
    '[Content_Types].xml':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    '_rels/.rels':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    'xl/workbook.xml':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Transactions" sheetId="1" r:id="rId1"/></sheets></workbook>',
    'xl/_rels/workbook.xml.rels':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    'xl/worksheets/sheet1.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${sheetRows}</sheetData></worksheet>`,
  }
  return zip(Object.entries(files).map(([name, text]) => ({name, data: Buffer.from(text)})))
}

/** A minimal zip archive (deflate, no extras), enough for an XLSX package. */
function zip(entries: Array<{name: string; data: Buffer}>): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const {name, data} of entries) {
    const nameBytes = Buffer.from(name)
    const compressed = deflateRawSync(data)
    const checksum = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(checksum, 14)
    local.writeUInt32LE(compressed.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(nameBytes.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(8, 10)
    central.writeUInt32LE(checksum, 16)
    central.writeUInt32LE(compressed.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(nameBytes.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, nameBytes, compressed)
    centrals.push(central, nameBytes)
    offset += local.length + nameBytes.length + compressed.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

/** GET /files/statements/ID/TOKEN.FORMAT: a completed statement's file (the token is its only key); 404 for anything else, 409 while not completed. */
export function serveDownload(store: SandboxStore, response: ServerResponse, path: string): void {
  const match = /^\/files\/statements\/([^/]+)\/([0-9a-f]+)\.(csv|xlsx)$/.exec(path)
  const found = match ? store.findStatement(match[1]) : undefined
  if (!match || !found || found.statement.file_token !== match[2] || found.statement.format !== match[3]) throw notFound()
  const {account, statement} = found
  refreshStatement(account, statement)
  if (statement.status !== 'completed')
    throw new SandboxError(409, {error: 'Conflict', message: `The statement is ${statement.status}.`, status: statement.status})
  const rows = statementRows(account, statement.timezone ?? 'UTC')
  const file = statement.format === 'csv' ? toCsv(rows) : toXlsx(rows)
  response.writeHead(200, {
    'content-type': statement.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'content-length': file.length,
    'content-disposition': `attachment; filename="${statement.id}.${statement.format}"`,
  })
  response.end(file)
}
