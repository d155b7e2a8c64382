/**
 * `webhooks check-app`: the API reference's own checklist for a webhook
 * handler ("Webhook Verification Guide", "Security Best Practices", "Best
 * Practices"), run against the user's app. Genuine deliveries are signed by
 * the sandbox with the webhook's own key (the `sign` helper), so an app
 * configured with the key `listen --print-public-key` prints passes; every
 * other probe is one way a handler goes wrong in production:
 *
 *   genuine <type>        each event type, genuinely signed: 2xx
 *   forged signature      signed with another key: 4xx
 *   body changed          one byte of a signed body changed: 4xx
 *   missing signature     no X-Signature: 4xx
 *   re-serialised body    the signed JSON re-indented (an app that verifies
 *                         JSON.stringify(JSON.parse(body)) accepts it): 4xx
 *   stale event           created_on 11 minutes ago, genuinely signed: 4xx
 *   duplicate             an acknowledged delivery again: 2xx (else the gateway retries)
 *   garbage / empty body  4xx, not 5xx
 *   time limit            every answer within the gateway's limit; p99 over 5 s warns
 */
import {createSign, generateKeyPair as generateKeyPairCallback, randomUUID} from 'node:crypto'
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {promisify} from 'node:util'

import {STALE_AFTER_S} from './pipeline.js'

const generateKeyPair = promisify(generateKeyPairCallback)

/** Above this, an answer risks the gateway's limit under load: the reference asks for a quick 2xx. */
export const WARN_ABOVE_MS = 5000

export interface CheckResult {
  check: string
  /** A failed required check fails the run; a warning does not. */
  required: boolean
  result: 'pass' | 'fail' | 'warn'
  expected: string
  got: string
}

export interface CheckAppReport extends Record<string, unknown> {
  ok: boolean
  forward: string
  webhook_id: string
  checks: CheckResult[]
  latency_ms: {p50: number | null; p99: number | null; max: number | null}
  passed: number
  failed: number
  warned: number
}

export interface CheckAppOptions {
  target: URL
  webhookId: string
  types: readonly string[]
  /** The headers that sign these exact bytes with the webhook's own key (the sandbox's sign helper). */
  sign(body: string): Promise<Record<string, string>>
  /** The gateway's time limit for one delivery. */
  timeLimitMs: number
}

interface Answer {
  status?: number
  error?: string
  ms: number
}

export async function checkApp(options: CheckAppOptions): Promise<CheckAppReport> {
  const now = () => Math.floor(Date.now() / 1000)
  const send = (body: string, headers: Record<string, string>) => post(options.target, body, headers, options.timeLimitMs)
  const signed = async (body: string) => ({body, headers: await options.sign(body)})

  // Every type once, genuinely signed, side by side (a handler serves concurrent deliveries).
  const genuine = await Promise.all(
    options.types.map(async (type) => {
      const delivery = await signed(eventBody(type, now()))
      return {type, delivery, answer: await send(delivery.body, delivery.headers)}
    }),
  )
  const checks: CheckResult[] = genuine.map(({type, answer}) => judge(`genuine ${type}`, 'accept', answer, options.timeLimitMs))

  const acknowledged = genuine.find(({answer}) => is2xx(answer))
  const base = await signed(eventBody(options.types[0] ?? 'purchase.paid', now()))
  const forgedKey = (await generateKeyPair('rsa', {modulusLength: 2048})).privateKey
  const stale = await signed(eventBody(options.types[0] ?? 'purchase.paid', now() - STALE_AFTER_S - 60))
  const probes: Array<[string, () => Promise<Answer>]> = [
    ['forged signature', () => send(base.body, {...base.headers, 'x-signature': createSign('sha256').update(base.body).sign(forgedKey, 'base64')})],
    ['body changed by one byte', () => send(base.body.replace('"total_amount":2999', '"total_amount":3999'), base.headers)],
    ['missing signature', () => send(base.body, withoutSignature(base.headers))],
    ['re-serialised body', () => send(JSON.stringify(JSON.parse(base.body), null, 2), base.headers)],
    ['stale event (created 11 minutes ago)', () => send(stale.body, stale.headers)],
    ['garbage body', () => send('not json \u0000\u00ff{{', base.headers)],
    ['empty body', () => send('', base.headers)],
  ]
  const refused = await Promise.all(probes.map(async ([check, probe]) => judge(check, 'refuse', await probe(), options.timeLimitMs)))
  checks.push(...refused)
  checks.push(
    acknowledged
      ? judge('duplicate of a delivered event', 'accept', await send(acknowledged.delivery.body, acknowledged.delivery.headers), options.timeLimitMs)
      : {
          check: 'duplicate of a delivered event',
          required: true,
          result: 'fail',
          expected: '2xx',
          got: 'no genuine event was acknowledged to repeat',
        },
  )
  const times = genuine.map(({answer}) => answer.ms).sort((a, b) => a - b)
  const at = (p: number) => (times.length === 0 ? null : times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)])
  const max = times.at(-1) ?? null
  const late = genuine.filter(({answer}) => answer.error === 'timeout').length
  checks.push({
    check: 'answers within the time limit',
    required: true,
    result: late > 0 ? 'fail' : (at(99) ?? 0) > WARN_ABOVE_MS ? 'warn' : 'pass',
    expected: `each under ${options.timeLimitMs / 1000} s (p99 under ${WARN_ABOVE_MS / 1000} s)`,
    got: late > 0 ? `${late} of ${times.length} not answered within ${options.timeLimitMs / 1000} s` : `p99 ${at(99)} ms, max ${max} ms`,
  })
  const failed = checks.filter((check) => check.required && check.result === 'fail').length
  return {
    ok: failed === 0,
    forward: options.target.href,
    webhook_id: options.webhookId,
    checks,
    latency_ms: {p50: at(50), p99: at(99), max},
    passed: checks.filter((check) => check.result === 'pass').length,
    failed,
    warned: checks.filter((check) => check.result === 'warn').length,
  }
}

/** An event as the gateway sends it (the sandbox's `ummah` format), about a paid-looking purchase of 29.99. */
function eventBody(type: string, createdOn: number): string {
  const status = type.split('.')[1] ?? 'created'
  const object = {
    id: randomUUID(),
    type: type.startsWith('billing_template.') ? 'billing_template_client' : 'purchase',
    status,
    client: {email: 'check-app@example.com'},
    purchase: {total_amount: 2999, currency: 'USD'},
  }
  return JSON.stringify({id: `evt-${randomUUID()}`, type, event: type, created_on: createdOn, object})
}

function withoutSignature(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'x-signature'))
}

const is2xx = (answer: Answer) => answer.status !== undefined && answer.status >= 200 && answer.status < 300

function judge(check: string, want: 'accept' | 'refuse', answer: Answer, limitMs: number): CheckResult {
  const got =
    answer.status !== undefined
      ? `${answer.status} in ${answer.ms} ms`
      : answer.error === 'timeout'
        ? `no answer within ${limitMs / 1000} s`
        : answer.error!
  if (want === 'accept') return {check, required: true, result: is2xx(answer) ? 'pass' : 'fail', expected: '2xx', got}
  const refusedWell = answer.status !== undefined && answer.status >= 400 && answer.status < 500
  return {check, required: true, result: refusedWell ? 'pass' : 'fail', expected: '4xx (refused, not 2xx, not 5xx)', got}
}

/** One POST of exactly these bytes; redirects are not followed (a 3xx is what the app answered). */
function post(target: URL, body: string, headers: Record<string, string>, timeoutMs: number): Promise<Answer> {
  const started = performance.now()
  const ms = () => Math.round(performance.now() - started)
  return new Promise((resolve) => {
    const bytes = Buffer.from(body, 'utf8')
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const sent = send(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Ummah-Sandbox-Webhooks/1.0 (check-app)',
        ...headers,
        'content-length': bytes.length,
      },
    })
    const timer = setTimeout(() => {
      sent.destroy()
      resolve({error: 'timeout', ms: ms()})
    }, timeoutMs)
    sent.on('response', (response) => {
      response.resume()
      response.on('end', () => {
        clearTimeout(timer)
        resolve({status: response.statusCode, ms: ms()})
      })
    })
    sent.on('error', (error) => {
      clearTimeout(timer)
      resolve({error: (error as NodeJS.ErrnoException).code ?? error.message, ms: ms()})
    })
    sent.end(bytes)
  })
}
