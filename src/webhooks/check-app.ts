/**
 * `webhooks check-app`: the checklist of the webhook document the app
 * follows, run against the app. For Ummah's own format that is the API
 * reference's ("Webhook Verification Guide", "Security Best Practices",
 * "Best Practices"); for a partner's (`--scheme umm-services|numipay|generic`)
 * that document's own rules. Genuine deliveries come from the sandbox
 * (`POST /_sandbox/webhooks/{id}/samples`: every event of the webhook's
 * format, signed with its key in its scheme), so an app configured the way
 * `listen` says passes; every other probe is one way a handler goes wrong:
 *
 *   genuine <event>       each event of the format: 2xx (UMM Services: exactly 200)
 *   forged signature      the sender's proof changed (an RSA signature by another key,
 *     or credentials      a SHA-1 digest's or a password's last character): 4xx
 *   missing signature     the sender's proof left out: 4xx
 *   body changed          one digit of a signed body changed (schemes that sign the body): 4xx
 *   re-serialised body    the signed JSON re-indented (RSA signs the exact bytes; an app
 *                         verifying JSON.stringify(JSON.parse(body)) accepts it): 4xx.
 *                         NumiPay's document itself verifies re-serialised JSON: not checked there
 *   stale event           created 11 minutes ago, genuinely signed (Ummah's 10-minute window): 4xx
 *   duplicate             an acknowledged delivery again: accepted (every document retries)
 *   garbage / empty body  4xx, not 5xx
 *   time limit            every answer within the gateway's limit; p99 over 5 s warns
 */
import {createSign, generateKeyPair as generateKeyPairCallback} from 'node:crypto'
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {promisify} from 'node:util'

import type {DeliveryFormat} from '../schemes/catalog.js'
import type {SampleSet} from '../schemes/types.js'
import {UsageError} from '../shared/errors.js'
import {percentile} from '../shared/numbers.js'
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
  /** The document whose rules were checked (the webhook's format), and the scheme its deliveries are signed in. */
  format: DeliveryFormat
  scheme: string
  checks: CheckResult[]
  latency_ms: {p50: number | null; p99: number | null; max: number | null}
  passed: number
  failed: number
  warned: number
}

export interface CheckAppOptions {
  target: URL
  webhookId: string
  /** The document whose rules are checked (`--scheme`): the webhook's format must be this one. */
  format: DeliveryFormat
  /** The sandbox's genuinely signed samples of the webhook's format, created at this time (Unix seconds). */
  samples(createdOn: number): Promise<SampleSet>
  /** The gateway's time limit for one delivery. */
  timeLimitMs: number
}

interface Answer {
  status?: number
  error?: string
  ms: number
}

type Want = 'accept' | 'refuse'

/** What each document asks of a handler beyond the common checks: how success is answered, and which checks its deliveries allow. */
const DOCUMENTS: Record<DeliveryFormat, {accepted: (status: number) => boolean; acceptedText: string; staleWindow: boolean; exactBytes: boolean}> = {
  // The reference: 2xx; its verification guide signs the raw bytes and its replay example refuses created_on outside 10 minutes.
  ummah: {accepted: is2xx, acceptedText: '2xx', staleWindow: true, exactBytes: true},
  // "An event posting is considered to be successful if it gets an HTTP Response code of 200."
  'umm-services': {accepted: (status) => status === 200, acceptedText: '200', staleWindow: false, exactBytes: true},
  // Its signature sample hashes JSON.stringify(data): re-serialised JSON is its own way.
  numipay: {accepted: is2xx, acceptedText: '2xx', staleWindow: false, exactBytes: false},
  // "returns a non-2xx status code, we will retry"
  generic: {accepted: is2xx, acceptedText: '2xx', staleWindow: false, exactBytes: true},
}

export async function checkApp(options: CheckAppOptions): Promise<CheckAppReport> {
  const now = () => Math.floor(Date.now() / 1000)
  const send = (body: string, headers: Record<string, string>) => post(options.target, body, headers, options.timeLimitMs)
  const set = await options.samples(now())
  if (set.format !== options.format)
    throw new UsageError(
      `Webhook ${options.webhookId} sends the ${set.format} format, not ${options.format}: nothing was sent`,
      `Pass --scheme ${set.format}, or --webhook-id of a webhook whose sandbox_delivery.format is ${options.format}.`,
    )
  const document = DOCUMENTS[set.format]
  const judge = (check: string, want: Want, answer: Answer) => judged(check, want, answer, options.timeLimitMs, document)

  // Every event once, genuinely signed, side by side (a handler serves concurrent deliveries).
  const genuine = await Promise.all(set.samples.map(async (sample) => ({sample, answer: await send(sample.body, sample.headers)})))
  const checks: CheckResult[] = genuine.map(({sample, answer}) => judge(`genuine ${sample.name}`, 'accept', answer))

  const acknowledged = genuine.find(({answer}) => answer.status !== undefined && document.accepted(answer.status))
  const base = (await options.samples(now())).samples[0]
  const credentials = set.credential_headers
  const proof = credentials.length === 1 && credentials[0] === 'x-signature' ? 'signature' : `credentials (${credentials.join(', ')})`
  const probes: Array<[string, () => Promise<Answer>]> = [
    [`forged ${proof}`, async () => send(base.body, await forged(base, credentials))],
    [`missing ${proof}`, () => send(base.body, without(base.headers, credentials))],
  ]
  if (set.signs_body) probes.push(['body changed by one byte', () => send(changedDigit(base.body), base.headers)])
  if (set.signs_body && document.exactBytes)
    probes.push(['re-serialised body', () => send(JSON.stringify(JSON.parse(base.body), null, 2), base.headers)])
  if (document.staleWindow) {
    const stale = (await options.samples(now() - STALE_AFTER_S - 60)).samples[0]
    probes.push(['stale event (created 11 minutes ago)', () => send(stale.body, stale.headers)])
  }
  probes.push(['garbage body', () => send('not json \u0000\u00ff{{', base.headers)], ['empty body', () => send('', base.headers)])
  checks.push(...(await Promise.all(probes.map(async ([check, probe]) => judge(check, 'refuse', await probe())))))
  checks.push(
    acknowledged
      ? judge('duplicate of a delivered event', 'accept', await send(acknowledged.sample.body, acknowledged.sample.headers))
      : {
          check: 'duplicate of a delivered event',
          required: true,
          result: 'fail',
          expected: document.acceptedText,
          got: 'no genuine event was acknowledged to repeat',
        },
  )
  const times = genuine.map(({answer}) => answer.ms).sort((a, b) => a - b)
  const at = (p: number) => percentile(times, p)
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
    format: set.format,
    scheme: set.scheme,
    checks,
    latency_ms: {p50: at(50), p99: at(99), max},
    passed: checks.filter((check) => check.result === 'pass').length,
    failed,
    warned: checks.filter((check) => check.result === 'warn').length,
  }
}

/** The sender's proof altered: an RSA signature by another key; any other value with its last letter or digit changed. */
async function forged(sample: SampleSet['samples'][number], credentials: string[]): Promise<Record<string, string>> {
  const headers = {...sample.headers}
  for (const name of credentials) {
    const value = headers[name]
    if (value === undefined) continue
    if (name === 'x-signature' && value.length > 100) {
      const {privateKey} = await generateKeyPair('rsa', {modulusLength: 2048})
      headers[name] = createSign('sha256').update(sample.body).sign(privateKey, 'base64')
    } else
      headers[name] = value.replace(/[a-zA-Z0-9](?=[^a-zA-Z0-9]*$)/, (last) =>
        last === 'A' ? 'B' : /\d/.test(last) ? String((Number(last) + 1) % 10) : 'A',
      )
  }
  return headers
}

function without(headers: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name.toLowerCase())))
}

/** The body with its last digit changed: still JSON, one byte different. */
function changedDigit(body: string): string {
  return body.replace(/\d(?=\D*$)/, (digit) => String((Number(digit) + 1) % 10))
}

function is2xx(status: number): boolean {
  return status >= 200 && status < 300
}

function judged(check: string, want: Want, answer: Answer, limitMs: number, document: (typeof DOCUMENTS)[DeliveryFormat]): CheckResult {
  const got =
    answer.status !== undefined
      ? `${answer.status} in ${answer.ms} ms`
      : answer.error === 'timeout'
        ? `no answer within ${limitMs / 1000} s`
        : answer.error!
  if (want === 'accept') {
    const ok = answer.status !== undefined && document.accepted(answer.status)
    return {check, required: true, result: ok ? 'pass' : 'fail', expected: document.acceptedText, got}
  }
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
