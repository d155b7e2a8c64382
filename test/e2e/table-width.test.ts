/**
 * Every list command on a real pseudo-terminal 80 and 60 columns wide: no line
 * wider than the terminal, every id whole, something of each row shown; piped,
 * the same command's tab-separated rows stay whole whatever COLUMNS says.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {displayWidth} from '../../src/shared/terminal-text.js'
import {runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {onTerminal} from '../helpers/pty.js'
import {BRAND} from './helpers.js'
import {App, Listener, until} from './listen-harness.js'
import {ADMIN_TOKEN, RelayProcess} from './relay-harness.js'

const KEY = 'sk_test_table_width_e2e'
const CONFIG = tempConfigDir()
const LONG_EMAIL = 'a-rather-long-address-for-a-narrow-terminal@subdomain.example.com'
const LONG_NAME = 'Ṣàlá Ọ̀rọ̀ 김민준 and a name long enough to need cutting'
let sandbox: Sandbox
let relay: RelayProcess
let relayUrl = ''
let listener: Listener
let app: App
const cases: string[][] = [
  ['clients', 'list'],
  ['webhooks', 'list'],
  ['statements', 'list'],
  ['templates', 'list'],
  ['balance'],
  ['account', 'turnover'],
  ['profiles', 'list'],
  ['config', 'list'],
  ['webhooks', 'events', 'list'],
]

const env = () => ({UMMAH_CONFIG_DIR: CONFIG, UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: sandbox.apiBase, UMMAH_RELAY_TOKEN: ADMIN_TOKEN, TZ: 'UTC'})
const ummah = (args: string[], extra: Record<string, string> = {}) => runCli(args, {env: {...env(), ...extra}})

async function made(args: string[]): Promise<any> {
  const result = await ummah([...args, '--json'])
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0)
  return JSON.parse(result.stdout)
}

beforeAll(async () => {
  sandbox = await startSandbox({port: 0, statementDelayMs: 0})
  relay = new RelayProcess(['--port', '0', '--data-dir', tempDir('ummah-relay-')])
  relayUrl = await relay.ready()
  await made(['login', '--api-key', KEY, '--api-base', sandbox.apiBase])
  await made(['config', 'set', 'brand_id', BRAND])
  for (let index = 0; index < 3; index++)
    await made(['clients', 'create', '--email', `${index}${LONG_EMAIL}`, '--full-name', LONG_NAME, '--country', 'MY'])
  await made([
    'webhooks',
    'create',
    '--callback',
    `http://127.0.0.1:9/${'very-long-path/'.repeat(5)}`,
    '--title',
    LONG_NAME,
    '--events',
    'purchase.subscription_charge_failure',
  ])
  await made(['statements', 'create', '--format', 'csv', '--timezone', 'Asia/Kuala_Lumpur'])
  const template = await made([
    'templates',
    'create',
    '--product',
    'A subscription product:990',
    '--currency',
    'MYR',
    '--is-subscription',
    '--subscription-period',
    '1',
    '--subscription-period-units',
    'months',
  ])
  const client = (await made(['clients', 'list']))[0] ?? (await made(['clients', 'list'])).results[0]
  await made(['templates', 'subscribe', template.id, '--client-id', client.id])
  cases.push(['templates', 'subscribers', 'list', template.id])
  await made(['relay', 'channels', 'create', 'a-team-channel-with-a-long-name', '--relay', relayUrl])
  cases.push(['relay', 'channels', 'list', '--relay', relayUrl])
  // The listener's own table: events it received from the sandbox and forwarded to an app.
  app = new App()
  await app.start()
  listener = new Listener(['--forward', `127.0.0.1:${app.port}/hook`], env())
  app.publicKey = (await listener.ready()).public_key
  await made(['trigger', 'purchase.paid'])
  await until(() => app.received.length >= 2, 'two events at the app')
  const purchase = JSON.parse(app.received[0].raw.toString('utf8')).object.id as string
  cases.push(['webhooks', 'deliveries', '--id', purchase, '--source-type', 'purchase'])
}, 60_000)

afterAll(async () => {
  await listener?.stop()
  await app?.stop()
  relay?.stop()
  await sandbox?.close()
})

/** The ids in tab-separated rows: every UUID, `evt-…`, `tok_…` and `del-…` cell. */
function idsIn(tsv: string): string[] {
  return tsv
    .split('\n')
    .flatMap((line) => line.split('\t').filter((cell) => /^([0-9a-f]{8}-[0-9a-f-]{27}|evt[-_]\S+|tok_\S+|del[-_]\S+)$/.test(cell)))
}

describe('tables on a narrow terminal', {timeout: 120_000}, () => {
  it('every list command fits 80 and 60 columns with ids whole; piped, rows are whole', async () => {
    let checked = 0
    for (const args of cases) {
      const piped = await ummah(args)
      expect(piped.code, `${args.join(' ')}: ${piped.stderr}`).toBe(0)
      const rows = piped.stdout.trim().split('\n')
      expect(rows.length, `${args.join(' ')} has rows`).toBeGreaterThan(0)
      // Piped output is the same whatever COLUMNS says: nothing cut, no header.
      expect((await ummah(args, {COLUMNS: '40'})).stdout, args.join(' ')).toBe(piped.stdout)
      // (A masked key is the only … a piped row has.)
      expect(piped.stdout.replaceAll(/sk_(test|live)_…\w*/g, '')).not.toContain('…')
      for (const width of [80, 60]) {
        const shown = await onTerminal(args, [], {...env(), PTY_COLUMNS: String(width), NO_COLOR: '1'})
        expect(shown.code, `${args.join(' ')} at ${width}: ${shown.output}`).toBe(0)
        const lines = shown.output.split(/\r?\n/).filter((line) => line !== '')
        for (const line of lines) expect(displayWidth(line), `${args.join(' ')} at ${width}:\n${shown.output}`).toBeLessThanOrEqual(width)
        for (const id of idsIn(piped.stdout)) expect(shown.output, `${args.join(' ')} at ${width}: ${id}`).toContain(id)
        // A line per row (and a header; config list is a key/value view): nothing wrapped onto a second line, nothing left out.
        expect(lines.length, `${args.join(' ')} at ${width}:\n${shown.output}`).toBeGreaterThanOrEqual(
          args[0] === 'config' ? rows.length : rows.length + 1,
        )
        expect(lines.length, `${args.join(' ')} at ${width}:\n${shown.output}`).toBeLessThanOrEqual(rows.length + 3)
        checked++
      }
    }
    expect(checked).toBe(cases.length * 2)
    // The long values were there to cut, and were cut on the narrow terminal.
    const clients = await onTerminal(['clients', 'list'], [], {...env(), PTY_COLUMNS: '60', NO_COLOR: '1'})
    expect(clients.output).toContain('…')
    expect((await ummah(['clients', 'list'])).stdout).toContain(LONG_EMAIL)
  })
})
