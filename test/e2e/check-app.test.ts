/**
 * `webhooks check-app`: the reference's checklist for webhook handlers, run
 * against the example app and the reference's own Node sample (all pass), and
 * against apps each wrong in one way: each fails exactly the checks it should.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {createHash, createVerify} from 'node:crypto'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {WEBHOOK_EVENTS} from '../../src/api/endpoints.js'
import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {killTracked, ROOT, runCli, tempConfigDir, track} from '../helpers/cli.js'
import {listenerKey, until} from './listen-harness.js'

let sandbox: Sandbox
let publicKey = ''
const env = () => ({UMMAH_CONFIG_DIR: CONFIG, UMMAH_SECRET_KEY: 'sk_test_check_app', UMMAH_API_BASE: sandbox.apiBase})
const CONFIG = tempConfigDir()

beforeAll(async () => {
  sandbox = await startSandbox({port: 0, statementDelayMs: 0})
  publicKey = await listenerKey(env())
})
// Every test's listener shares this file's profile: one a failed test leaves running would hold its lock against the next ones.
afterEach(() => killTracked())
afterAll(() => sandbox.close())

const GENUINE = WEBHOOK_EVENTS.map((type) => `genuine ${type}`)
const REFUSALS = [
  'forged signature',
  'missing signature',
  'body changed by one byte',
  're-serialised body',
  'stale event (created 11 minutes ago)',
  'garbage body',
  'empty body',
]
const ALL = [...GENUINE, ...REFUSALS, 'duplicate of a delivered event', 'answers within the time limit']

type Handler = (raw: Buffer, request: IncomingMessage) => Promise<[number, string]> | [number, string]

/** An app in this process: the handler gets the raw body. */
async function app(handler: Handler): Promise<{url: string; server: Server}> {
  const server = createServer((request, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      const [status, text] = await handler(Buffer.concat(chunks), request)
      if (!response.destroyed) response.writeHead(status).end(text)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {url: `127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, server}
}

const verifies = (raw: Buffer, request: IncomingMessage) =>
  createVerify('sha256')
    .update(raw)
    .verify(publicKey, Buffer.from(String(request.headers['x-signature'] ?? ''), 'base64'))

/** What a careful handler does, with one step switched off or done wrong. */
function handler(options: {verify?: 'raw' | 'none' | 'reparsed'; window?: boolean; duplicates?: 200 | 500; sleepMs?: number}): Handler {
  const seen = new Set<string>()
  return async (raw, request) => {
    const {verify = 'raw', window = true, duplicates = 200, sleepMs = 0} = options
    let event: {id?: string; created_on?: number}
    try {
      event = JSON.parse(raw.toString('utf8'))
    } catch {
      // A handler that parses first must still answer garbage with a 4xx.
      if (verify !== 'raw') return [400, 'bad json']
      event = {}
    }
    const body = verify === 'reparsed' ? Buffer.from(JSON.stringify(event)) : raw
    if (verify !== 'none' && !verifies(body, request)) return [403, 'invalid signature']
    if (window && Math.abs(Date.now() / 1000 - Number(event.created_on ?? 0)) > 600) return [400, 'stale event']
    if (seen.has(event.id!)) return duplicates === 200 ? [200, 'duplicate'] : [500, 'already processed']
    seen.add(event.id!)
    // The app under test is slow on purpose (its handler works 40 s before answering): the test waits on check-app, not on this.
    if (sleepMs) await new Promise((answerLater) => setTimeout(answerLater, sleepMs))
    return [200, 'ok']
  }
}

/** A webhook of the sandbox sending a partner's format (no deliveries: it is subscribed to nothing this test causes). */
async function createWebhook(delivery: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${sandbox.apiBase}/webhooks/`, {
    method: 'POST',
    headers: {authorization: 'Bearer sk_test_check_app', 'content-type': 'application/json'},
    body: JSON.stringify({callback: 'http://127.0.0.1:9/unused', events: ['purchase.released'], sandbox_delivery: delivery}),
  })
  const body = (await response.json()) as {id: string}
  expect(response.status, JSON.stringify(body)).toBe(201)
  return body.id
}

async function checkApp(url: string) {
  const result = await runCli(['webhooks', 'check-app', '--forward', url, '--json'], {env: env(), timeoutMs: 60_000})
  const report = JSON.parse(result.stdout) as {ok: boolean; checks: Array<{check: string; result: string; got: string}>}
  const failed = report.checks.filter((check) => check.result === 'fail').map((check) => check.check)
  return {code: result.code, report, failed}
}

describe('webhooks check-app', {timeout: 180_000}, () => {
  it('the example app passes every check, and the scorecard says so', async () => {
    const child: ChildProcess = track(
      spawn(process.execPath, [join(ROOT, 'examples', 'webhook-app.mjs'), '0'], {env: {...process.env, UMMAH_WEBHOOK_PUBLIC_KEY: publicKey}}),
    )
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const url = (await until(() => /App listening on (http:\/\/\S+)/.exec(out)?.[1], 'the example app'))!
    const {code, report, failed} = await checkApp(url)
    expect(failed).toEqual([])
    expect(report.checks.map((check) => check.check)).toEqual(ALL)
    expect(report.checks.every((check) => check.result === 'pass')).toBe(true)
    expect(code).toBe(0)
    // Its own log: every genuine event verified once, the duplicate seen as one, each refusal named.
    await until(() => (out.match(/^DUPLICATE /gm) ?? []).length === 1, 'the duplicate in the log')
    expect((out.match(/^VERIFIED /gm) ?? []).length).toBe(WEBHOOK_EVENTS.length)
    expect((out.match(/^REJECTED stale event /gm) ?? []).length).toBe(1)
    expect((out.match(/^REJECTED invalid signature /gm) ?? []).length).toBe(6)

    const human = await runCli(['webhooks', 'check-app', '--forward', url], {env: env()})
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^Checking http:\/\/127\.0\.0\.1:\d+\/webhook against the webhook checklist \(key of webhook wh-[\w-]+\):\n/)
    expect(human.stdout).toMatch(/^✓ forged signature +PASS {2}403 in \d+ ms$/m)
    expect(human.stdout).toMatch(/^19 passed, 0 failed, 0 warned\. The app's answers: p50 \d+ ms, p99 \d+ ms\.$/m)
    child.kill()
  })

  it('the reference’s own Node sample passes every check', async () => {
    process.env.UMMAH_WEBHOOK_PUBLIC_KEY = publicKey
    const sample = (await import(join(ROOT, 'test', 'fixtures', 'reference-samples', 'ummah-replay.mjs'))) as {
      handle(raw: Buffer, sig: string): Promise<[number, string]>
    }
    const {url, server} = await app((raw, request) => sample.handle(raw, String(request.headers['x-signature'] ?? '')))
    const {code, failed} = await checkApp(url)
    expect([code, failed]).toEqual([0, []])
    server.close()
  })

  it('apps wrong in one way each fail exactly their checks', async () => {
    const cases: Array<[string, Handler, string[]]> = [
      ['no signature check', handler({verify: 'none'}), ['forged signature', 'missing signature', 'body changed by one byte', 're-serialised body']],
      ['no time window', handler({window: false}), ['stale event (created 11 minutes ago)']],
      ['verifies the re-serialised JSON', handler({verify: 'reparsed'}), ['re-serialised body']],
      ['500 to duplicates', handler({duplicates: 500}), ['duplicate of a delivered event']],
    ]
    for (const [name, wrong, expected] of cases) {
      const {url, server} = await app(wrong)
      const {code, failed} = await checkApp(url)
      expect(failed, name).toEqual(expected)
      expect(code, name).toBe(1)
      server.close()
    }
  })

  it('an app that sleeps 40 s before answering fails the genuine deliveries, the duplicate and the time limit, and nothing else', async () => {
    const {url, server} = await app(handler({sleepMs: 40_000}))
    const started = Date.now()
    const {code, failed, report} = await checkApp(url)
    // The gateway's 10 s limit, twice at most (the genuine round, then the refusals side by side): not 40 s.
    expect(Date.now() - started).toBeLessThan(35_000)
    expect(failed).toEqual([...GENUINE, 'duplicate of a delivered event', 'answers within the time limit'])
    expect(report.checks.find((check) => check.check === 'answers within the time limit')!.got).toBe(
      `${GENUINE.length} of ${GENUINE.length} not answered within 10 s`,
    )
    expect(code).toBe(1)
    server.closeAllConnections()
    server.close()
  })

  it("--scheme numipay: that document's rules (its SHA-1 signature over the re-serialised JSON, no time window)", async () => {
    const webhook = await createWebhook({format: 'numipay', auth: {scheme: 'sha1-password', secret: 'spg_test_secret'}})
    // NumiPay's own sample: SHA-1 of JSON.stringify(data) + the signature password, upper-case hex.
    const numipay = (verify: boolean): Handler => {
      const seen = new Set<string>()
      return (raw, request) => {
        let data: {transaction_id?: string; status?: string}
        try {
          data = JSON.parse(raw.toString('utf8'))
        } catch {
          return [400, 'bad json']
        }
        const expected = createHash('sha1')
          .update(`${JSON.stringify(data)}spg_test_secret`)
          .digest('hex')
          .toUpperCase()
        if (verify && request.headers['x-signature'] !== expected) return [403, 'invalid signature']
        const key = `${data.transaction_id} ${data.status}`
        if (seen.has(key)) return [200, 'duplicate']
        seen.add(key)
        return [200, 'ok']
      }
    }
    const good = await app(numipay(true))
    const result = await runCli(['webhooks', 'check-app', '--scheme', 'numipay', '--webhook-id', webhook, '--forward', good.url, '--json'], {
      env: env(),
    })
    expect(result.code, result.stdout).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({ok: true, format: 'numipay', scheme: 'sha1-password'})
    const names = report.checks.map((check: {check: string}) => check.check)
    expect(names.filter((name: string) => name.startsWith('genuine '))).toEqual([
      'genuine deposit.pending',
      'genuine deposit.successful',
      'genuine deposit.rejected',
      'genuine deposit.expired',
      'genuine withdrawal.successful',
    ])
    expect(names.filter((name: string) => !name.startsWith('genuine '))).toEqual([
      'forged signature',
      'missing signature',
      'body changed by one byte',
      'garbage body',
      'empty body',
      'duplicate of a delivered event',
      'answers within the time limit',
    ])
    good.server.close()
    const naive = await app(numipay(false))
    const failed = await runCli(['webhooks', 'check-app', '--scheme', 'numipay', '--webhook-id', webhook, '--forward', naive.url, '--json'], {
      env: env(),
    })
    expect(failed.code).toBe(1)
    const failedChecks = JSON.parse(failed.stdout)
      .checks.filter((check: {result: string}) => check.result === 'fail')
      .map((check: {check: string}) => check.check)
    expect(failedChecks).toEqual(['forged signature', 'missing signature', 'body changed by one byte'])
    naive.server.close()
  })

  it('--scheme umm-services: success is exactly 200, and the Basic credentials are what prove the sender', async () => {
    const webhook = await createWebhook({
      format: 'umm-services',
      auth: {scheme: 'umm-services', client_key: 'CLI0001', username: 'hooks', password: 'pw'},
    })
    const umm = (status: number): Handler => {
      const seen = new Set<string>()
      return (raw, request) => {
        if (request.headers.authorization !== `Basic ${Buffer.from('hooks:pw').toString('base64')}`) return [401, 'who are you']
        let event: {id?: string}
        try {
          event = JSON.parse(raw.toString('utf8'))
        } catch {
          return [400, 'bad json']
        }
        if (seen.has(event.id!)) return [200, 'duplicate']
        seen.add(event.id!)
        return [status, 'ok']
      }
    }
    const good = await app(umm(200))
    const passed = await runCli(['webhooks', 'check-app', '--scheme', 'umm-services', '--webhook-id', webhook, '--forward', good.url, '--json'], {
      env: env(),
    })
    expect(passed.code, passed.stdout).toBe(0)
    const report = JSON.parse(passed.stdout)
    expect(report.checks.map((check: {check: string}) => check.check)).toEqual([
      'genuine moneymovementservices.payment.payment_originated',
      'genuine moneymovementservices.payment.status_updated',
      'genuine moneymovementservices.payment.return_received',
      'genuine moneymovementservices.payment.payment_updated',
      'forged credentials (authorization)',
      'missing credentials (authorization)',
      'garbage body',
      'empty body',
      'duplicate of a delivered event',
      'answers within the time limit',
    ])
    good.server.close()
    // 202 is a 2xx, but the document counts only 200 as delivered: UMM Services would re-post every hour for 3 days.
    const accepted = await app(umm(202))
    const failed = await runCli(['webhooks', 'check-app', '--scheme', 'umm-services', '--webhook-id', webhook, '--forward', accepted.url, '--json'], {
      env: env(),
    })
    expect(failed.code).toBe(1)
    const checks = JSON.parse(failed.stdout).checks as Array<{check: string; result: string; expected: string; got: string}>
    const failedChecks = checks.filter((check) => check.result === 'fail')
    expect(failedChecks.map((check) => [check.check, check.expected, check.got.replace(/\d+ ms/, 'N ms')])).toEqual([
      ['genuine moneymovementservices.payment.payment_originated', '200', '202 in N ms'],
      ['genuine moneymovementservices.payment.status_updated', '200', '202 in N ms'],
      ['genuine moneymovementservices.payment.return_received', '200', '202 in N ms'],
      ['genuine moneymovementservices.payment.payment_updated', '200', '202 in N ms'],
      ['duplicate of a delivered event', '200', 'no genuine event was acknowledged to repeat'],
    ])
    accepted.server.close()
  })

  it('--scheme generic: its events, RSA-signed exact bytes, no time window', async () => {
    const webhook = await createWebhook({format: 'generic'})
    const key = (await (await fetch(`${sandbox.apiBase}/webhooks/${webhook}/`, {headers: {authorization: 'Bearer sk_test_check_app'}})).json()) as {
      public_key: string
    }
    const seen = new Set<string>()
    const {url, server} = await app((raw, request) => {
      const valid = createVerify('sha256')
        .update(raw)
        .verify(key.public_key, Buffer.from(String(request.headers['x-signature'] ?? ''), 'base64'))
      if (!valid) return [403, 'invalid signature']
      const event = JSON.parse(raw.toString('utf8')) as {id: string}
      if (seen.has(event.id)) return [200, 'duplicate']
      seen.add(event.id)
      return [200, 'ok']
    })
    const result = await runCli(['webhooks', 'check-app', '--scheme', 'generic', '--webhook-id', webhook, '--forward', url, '--json'], {env: env()})
    expect(result.code, result.stdout).toBe(0)
    expect(JSON.parse(result.stdout).checks.map((check: {check: string}) => check.check)).toEqual([
      'genuine payment.completed',
      'genuine payment.failed',
      'genuine refund.initiated',
      'genuine refund.completed',
      'genuine customer.created',
      'genuine customer.updated',
      'forged signature',
      'missing signature',
      'body changed by one byte',
      're-serialised body',
      'garbage body',
      'empty body',
      'duplicate of a delivered event',
      'answers within the time limit',
    ])
    server.close()
  })

  it('an OAuth2 webhook: the samples carry a bearer from the app’s own token endpoint, and a forged one is refused', async () => {
    const issued = 'token-for-check-app-0001'
    const seen = new Set<string>()
    let key = ''
    const {url, server} = await app((raw, request) => {
      if (request.url === '/oauth/token') {
        const ok = request.headers.authorization === `Basic ${Buffer.from('ummah:client-secret').toString('base64')}`
        return ok ? [200, JSON.stringify({access_token: issued, token_type: 'Bearer', expires_in: 3600})] : [401, '{"error":"invalid_client"}']
      }
      if (request.headers.authorization !== `Bearer ${issued}`) return [401, 'no bearer']
      const valid = createVerify('sha256')
        .update(raw)
        .verify(key, Buffer.from(String(request.headers['x-signature'] ?? ''), 'base64'))
      if (!valid) return [403, 'invalid signature']
      const event = JSON.parse(raw.toString('utf8')) as {id: string; created_on: number}
      if (Math.abs(Date.now() / 1000 - event.created_on) > 600) return [400, 'stale event']
      if (seen.has(event.id)) return [200, 'duplicate']
      seen.add(event.id)
      return [200, 'ok']
    })
    const origin = `http://${url.replace(/\/webhook$/, '')}`
    const webhook = await createWebhook({
      auth: {scheme: 'oauth2', token_url: `${origin}/oauth/token`, client_id: 'ummah', client_secret: 'client-secret'},
    })
    key = (
      (await (await fetch(`${sandbox.apiBase}/webhooks/${webhook}/`, {headers: {authorization: 'Bearer sk_test_check_app'}})).json()) as {
        public_key: string
      }
    ).public_key
    const result = await runCli(['webhooks', 'check-app', '--webhook-id', webhook, '--forward', url, '--json'], {env: env()})
    expect(result.code, result.stdout).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.scheme).toBe('oauth2')
    expect(
      report.checks
        .filter((check: {check: string}) => !check.check.startsWith('genuine '))
        .map((check: {check: string; got: string; result: string}) =>
          check.check === 'answers within the time limit' ? [check.check, check.result] : [check.check, check.got.replace(/\d+ ms/, 'N ms')],
        ),
    ).toEqual([
      ['forged credentials (x-signature, authorization)', '401 in N ms'],
      ['missing credentials (x-signature, authorization)', '401 in N ms'],
      ['body changed by one byte', '403 in N ms'],
      ['re-serialised body', '403 in N ms'],
      ['stale event (created 11 minutes ago)', '400 in N ms'],
      ['garbage body', '403 in N ms'],
      ['empty body', '403 in N ms'],
      ['duplicate of a delivered event', '200 in N ms'],
      ['answers within the time limit', 'pass'],
    ])
    server.close()
  })

  it("--scheme that is not the webhook's format: exit 2, nothing sent", async () => {
    let hits = 0
    const {url, server} = await app(() => {
      hits++
      return [200, 'ok']
    })
    const result = await runCli(['webhooks', 'check-app', '--scheme', 'numipay', '--forward', url], {env: env()})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(
      /^Error: Webhook wh-[\w-]+ sends the ummah format, not numipay: nothing was sent\. Pass --scheme ummah, or --webhook-id of a webhook whose sandbox_delivery\.format is numipay\.\n$/,
    )
    expect(hits).toBe(0)
    server.close()
  })

  it('refuses to run against a gateway without the sandbox helpers', async () => {
    const real = await startSandbox({port: 0, helpers: false})
    const result = await runCli(['webhooks', 'check-app', '--forward', ':3000'], {env: {...env(), UMMAH_API_BASE: real.apiBase}})
    expect([result.code, result.stderr]).toEqual([
      2,
      "Error: check-app runs against the sandbox: only it can sign a delivery with the webhook's key. Start one (`ummah sandbox start`) and use its profile: -p sandbox.\n",
    ])
    await real.close()
  })
})
