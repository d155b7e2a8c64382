/**
 * `statements download` writes only where the user said: a server-chosen id or
 * format never leaves the working directory, `-o DIR` writes into it, `-o ''`
 * is refused, an existing file survives without --force, Ctrl-C leaves no
 * file, and a body cut short is caught when the statement states its size.
 */
import {spawn} from 'node:child_process'
import {mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {ROOT, runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {until} from '../helpers/wait.js'

const CSV = 'date,amount\n2026-11-01,29.99\n'
const ID = 'stmt-a1b2c3d4-e5f6-7890-abcd-ef1234567890'

/** What the statement object and the file download answer, per test. */
let statement: Record<string, unknown>
let file: (response: ServerResponse) => void
let requests: string[]
let server: Server
let origin = ''
const sockets = new Set<Socket>()

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    requests.push(`${request.method} ${request.url}`)
    if (request.url === '/file') return file(response)
    response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(statement))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

let root: string
let work: string
beforeEach(() => {
  requests = []
  statement = {
    id: ID,
    type: 'company',
    format: 'csv',
    status: 'completed',
    download_url: `${origin}/file`,
    timezone: 'UTC',
    created_on: 1_700_000_000,
  }
  file = (response) => response.writeHead(200, {'content-type': 'text/csv', 'content-length': String(CSV.length)}).end(CSV)
  // root/work is the working directory; root must stay as it is apart from work.
  root = tempDir('ummah-download-')
  work = join(root, 'work')
  mkdirSync(work)
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

const download = (args: string[]) =>
  runCli(['statements', 'download', ID, ...args, '--api-base', `${origin}/api/v1`, '--api-key', 'sk_test_download'], {cwd: work})

describe('statements download', {timeout: 60_000}, () => {
  it('keeps a server-chosen id and format inside the working directory', async () => {
    for (const [id, format] of [
      ['/../../x', 'csv'],
      [ID, 'csv/../../x'],
      ['..', '..'],
      ['a\\..\\..\\b', 'xlsx'],
    ]) {
      statement = {...statement, id, format}
      const result = await download([])
      expect(result.code, result.stderr).toBe(0)
    }
    expect(readdirSync(root)).toEqual(['work'])
    expect(readdirSync(work).sort()).toEqual([`statement-${ID}.csv_x`, 'statement-_._', 'statement-_x.csv', 'statement-a_b.xlsx'].sort())
    for (const name of readdirSync(work)) expect(readFileSync(join(work, name), 'utf8')).toBe(CSV)
  })

  it('-o DIR writes the default name inside it; -o "" is refused before any request', async () => {
    mkdirSync(join(work, 'out'))
    const result = await download(['-o', 'out'])
    expect(result.code, result.stderr).toBe(0)
    expect(readFileSync(join(work, 'out', `statement-${ID}.csv`), 'utf8')).toBe(CSV)

    requests = []
    for (const empty of [['-o', ''], ['--output=']]) {
      const refused = await download(empty)
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(/^Error: -o is empty\. Pass a file name, a directory to write into, or - for stdout\.\n$/)
    }
    expect(requests).toEqual([])
  })

  it('an existing file is kept without --force and replaced with it', async () => {
    writeFileSync(join(work, 'mine.csv'), 'precious')
    const kept = await download(['-o', 'mine.csv'])
    expect(kept.code).toBe(2)
    expect(kept.stderr).toContain(`mine.csv already exists. Pass --force to replace it`)
    expect(readFileSync(join(work, 'mine.csv'), 'utf8')).toBe('precious')
    expect(requests.filter((request) => request.endsWith('/file'))).toEqual([])

    const replaced = await download(['-o', 'mine.csv', '--force'])
    expect(replaced.code, replaced.stderr).toBe(0)
    expect(readFileSync(join(work, 'mine.csv'), 'utf8')).toBe(CSV)
    expect(readdirSync(work)).toEqual(['mine.csv'])
  })

  it('Ctrl-C mid-download leaves no file', async () => {
    file = (response) => {
      response.writeHead(200, {'content-type': 'text/csv', 'content-length': '1000000'})
      response.write('x'.repeat(1000)) // then stall
    }
    const env = {...process.env, UMMAH_CONFIG_DIR: tempConfigDir()}
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'run.js'), 'statements', 'download', ID, '--api-base', `${origin}/api/v1`, '--api-key', 'sk_test_download'],
      {cwd: work, env},
    )
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    await until(() => readdirSync(work).some((name) => name.endsWith('.part')), 'the .part file', 20_000)
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    expect(stderr).toMatch(/Interrupted: the download was stopped and no file was written/)
    expect(readdirSync(work)).toEqual([])
    for (const socket of sockets) socket.destroy()
  })

  it('a body cut short without a length fails when the statement states its size, and is reported when nothing does', async () => {
    // No Content-Length, no chunking: the body ends when the connection closes.
    file = (response) => {
      response.useChunkedEncodingByDefault = false
      response.writeHead(200, {'content-type': 'text/csv', connection: 'close'})
      response.end(CSV.slice(0, 10))
    }
    statement = {...statement, size: CSV.length}
    const cut = await download([])
    expect(cut.code).toBe(7)
    expect(cut.stderr).toMatch(new RegExp(`^Error: The download stopped after 10 of ${CSV.length} bytes\\.`))
    expect(readdirSync(work)).toEqual([])

    delete statement.size
    const unknown = await download([])
    expect(unknown.code, unknown.stderr).toBe(0)
    expect(unknown.stderr).toContain(
      'the server did not say how long the file is, so a download cut short could not be detected; 10 bytes were received',
    )
  })
})
