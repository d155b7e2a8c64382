/**
 * Events and their signed deliveries. Each event goes to every webhook
 * subscribed to its type (signed with that webhook's RSA key) and, for
 * `purchase.paid`, to the purchase's success_callback (signed with the
 * account's company key). X-Signature is base64 RSA PKCS#1 v1.5 over SHA-256
 * of the exact body bytes sent. A delivery that is not answered 2xx (a
 * redirect, an error, a timeout) is retried on the schedule with the same
 * event id and the same bytes; every attempt is recorded.
 */
import {generateKeyPair as generateKeyPairCallback, randomUUID} from 'node:crypto'
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {promisify} from 'node:util'

import {signRsaSha256} from '../webhooks/signature.js'
import {type Account, type DeliveryRecord, type SandboxStore, now} from './store.js'

const generateKeyPair = promisify(generateKeyPairCallback)

export interface KeyPair {
  public_key: string
  private_key: string
}

export async function newKeyPair(): Promise<KeyPair> {
  const {publicKey, privateKey} = await generateKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: {type: 'spki', format: 'pem'},
    privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
  })
  return {public_key: publicKey, private_key: privateKey}
}

export async function companyKey(account: Account): Promise<KeyPair> {
  account.company_key ??= await newKeyPair()
  return account.company_key
}

export interface DeliveryOptions {
  /** Waits before each retry, in milliseconds; its length is the number of retries. */
  retryDelaysMs: readonly number[]
  /** How long one attempt may take. */
  timeoutMs: number
}

export const DEFAULT_RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16_000]

export interface EventSource {
  type: 'billing_template_client' | 'payment' | 'purchase'
  id: string
}

interface Target {
  url: string
  webhookId: string | null
  privateKey: string
}

interface Job {
  account: Account
  target: Target
  event: {id: string; type: string}
  body: Buffer
  signature: string
  source: EventSource
  attempt: number
}

export class Deliverer {
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly inFlight = new Set<Promise<void>>()
  private closed = false

  constructor(
    private readonly store: SandboxStore,
    private readonly options: DeliveryOptions,
  ) {}

  /** Builds an event and starts delivering it to every target subscribed to its type. */
  async emit(account: Account, type: string, object: unknown, source: EventSource, successCallback?: string): Promise<void> {
    const event = {id: `evt-${randomUUID()}`, type, created_on: now(account), object}
    const body = Buffer.from(JSON.stringify(event))
    const targets: Target[] = Object.values(account.webhooks)
      .filter((webhook) => webhook.all_events || webhook.events.includes(type as never))
      .map((webhook) => ({url: webhook.callback, webhookId: webhook.id, privateKey: webhook.private_key}))
    if (successCallback && type === 'purchase.paid') {
      targets.push({url: successCallback, webhookId: null, privateKey: (await companyKey(account)).private_key})
    }
    for (const target of targets) {
      this.attempt({account, target, event, body, signature: signRsaSha256(body, target.privateKey), source, attempt: 1})
    }
  }

  /** Stops retrying and waits for attempts already on the wire. */
  async close(): Promise<void> {
    this.closed = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    await Promise.allSettled([...this.inFlight])
  }

  private attempt(job: Job): void {
    if (this.closed) return
    const done = this.send(job).finally(() => this.inFlight.delete(done))
    this.inFlight.add(done)
  }

  private async send(job: Job): Promise<void> {
    const started = performance.now()
    const outcome = await post(job.target.url, job.body, job.signature, this.options.timeoutMs)
    const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300
    const retryable = !delivered && job.attempt <= this.options.retryDelaysMs.length
    const record: DeliveryRecord = {
      id: `whd-${randomUUID()}`,
      event: job.event.type,
      event_id: job.event.id,
      webhook_id: job.target.webhookId,
      url: job.target.url,
      source_type: job.source.type,
      source_id: job.source.id,
      attempt: job.attempt,
      status: delivered ? 'delivered' : retryable ? 'retrying' : 'failed',
      response_code: outcome.status,
      error: outcome.error,
      duration_ms: Math.round(performance.now() - started),
      sent_at: now(job.account),
      payload: JSON.parse(job.body.toString('utf8')),
    }
    job.account.deliveries.push(record)
    this.store.changed()
    if (retryable && !this.closed) {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        this.attempt({...job, attempt: job.attempt + 1})
      }, this.options.retryDelaysMs[job.attempt - 1])
      this.timers.add(timer)
    }
  }
}

interface Outcome {
  status: number | null
  error: string | null
}

/** One POST of the exact bytes; redirects are not followed (a 3xx is a failed attempt). */
function post(url: string, body: Buffer, signature: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let target: URL
    try {
      target = new URL(url)
    } catch {
      resolve({status: null, error: 'invalid callback URL'})
      return
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const request = send(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        'x-signature': signature,
        'user-agent': 'Ummah-Sandbox-Webhooks/1.0',
      },
      timeout: timeoutMs,
    })
    request.on('response', (response) => {
      response.resume()
      response.on('end', () => resolve({status: response.statusCode ?? null, error: null}))
      response.on('error', (error) => resolve({status: response.statusCode ?? null, error: error.message}))
    })
    request.on('timeout', () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)))
    request.on('error', (error) => resolve({status: null, error: (error as NodeJS.ErrnoException).code ?? error.message}))
    request.end(body)
  })
}
