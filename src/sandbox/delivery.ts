/**
 * Events and their signed deliveries. Each event goes to every webhook
 * subscribed to its type, in the webhook's format (formats.ts), signed with
 * that webhook's RSA key or its sandbox scheme, and, for `purchase.paid`, to
 * the purchase's success_callback (signed with the account's company key).
 * X-Signature is base64 RSA PKCS#1 v1.5 over SHA-256 of the exact body bytes
 * sent. Events are stamped with real time, as a gateway stamps what it sends
 * (objects follow the test clock). A delivery not answered as its policy
 * counts success (a redirect, an error, a timeout, or for UMM Services
 * anything but 200) is retried on the schedule with the same event id and the
 * same bytes; every attempt is recorded.
 */
import {generateKeyPair as generateKeyPairCallback, randomUUID} from 'node:crypto'
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {promisify} from 'node:util'

import {OAuth2TokenSource, sendWithBearer} from '../schemes/oauth2.js'
import {schemeEntry} from '../schemes/registry.js'
import {ummServicesScheme} from '../schemes/umm-services.js'
import {type DeliveryAuth, type RetryPolicy, isDelivered, retryDelays} from './delivery-settings.js'
import {type DeliveryFormat, SANDBOX_EVENT_TYPES, type SandboxEvent, type SandboxEventType, isClientEvent, render, sampleEvent} from './formats.js'
import {UMM_REQUEST_HEADERS} from '../schemes/umm-services.js'
import type {SampleSet} from '../schemes/types.js'
import {type Account, type DeliveryRecord, type SandboxStore, type WebhookRecord} from './store.js'

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
  /** Retry schedules run this many times faster (`sandbox start --time-scale`). */
  timeScale?: number
}

export const DEFAULT_RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16_000]

export interface EventSource {
  type: 'billing_template_client' | 'client' | 'payment' | 'purchase'
  id: string
}

interface Target {
  url: string
  webhookId: string | null
  privateKey: string
  format: DeliveryFormat
  policy: RetryPolicy
  /** Waits before each retry, before time scaling. */
  delays: readonly number[]
  auth?: DeliveryAuth
}

interface Job {
  account: Account
  target: Target
  event: {id: string; name: string}
  body: Buffer
  /** Authentication headers fixed for every attempt (a bearer is added per attempt). */
  headers: Record<string, string>
  source: EventSource
  attempt: number
}

export class Deliverer {
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly inFlight = new Set<Promise<unknown>>()
  private closed = false

  constructor(
    private readonly store: SandboxStore,
    private readonly options: DeliveryOptions,
  ) {}

  /** Builds an event and starts delivering it to every target subscribed to its type, in each target's format. */
  async emit(account: Account, type: SandboxEventType, object: unknown, source: EventSource, successCallback?: string): Promise<void> {
    const event: SandboxEvent = {id: `evt-${randomUUID()}`, type, created_on: Math.floor(Date.now() / 1000), object}
    const clientEvent = isClientEvent(type)
    const targets: Target[] = Object.values(account.webhooks)
      // Client events have no Ummah type to subscribe to: partner-format webhooks with all_events get them.
      .filter((webhook) => (clientEvent ? webhook.all_events : webhook.all_events || webhook.events.includes(type as never)))
      .map((webhook) => this.targetOf(webhook))
    if (successCallback && type === 'purchase.paid') {
      const privateKey = (await companyKey(account)).private_key
      targets.push({url: successCallback, webhookId: null, privateKey, format: 'ummah', policy: 'ummah', delays: this.options.retryDelaysMs})
    }
    for (const target of targets) {
      for (const {name, body} of render(target.format, event)) {
        this.attempt({account, target, event: {id: event.id, name}, body, headers: authHeaders(target, body, event.id), source, attempt: 1})
      }
    }
  }

  /**
   * Delivers a payload as given (the exact bytes) to one webhook, signed with
   * its own key in its own scheme, retried on its policy like any event
   * (`POST /_sandbox/webhooks/{id}/deliver`: the inspector's edit and replay,
   * `webhooks events resend --edit`). Resolves with the first attempt's record.
   */
  deliverPayload(
    account: Account,
    webhook: WebhookRecord,
    body: Buffer,
    event: {id: string; name: string; source: EventSource},
  ): Promise<DeliveryRecord> {
    const target = this.targetOf(webhook)
    const job = {account, target, event, body, headers: authHeaders(target, body, event.id), source: event.source, attempt: 1}
    return this.attempt(job) ?? Promise.reject(new Error('the sandbox is stopping'))
  }

  /**
   * The headers a delivery of exactly these bytes to this webhook carries:
   * signed with its own key in its own scheme, as deliverPayload sends them
   * (`POST /_sandbox/webhooks/{id}/sign`: `webhooks check-app` and
   * `listen --chaos` send genuinely signed bodies straight to the app).
   */
  signedHeaders(webhook: WebhookRecord, body: Buffer, eventId: string): Record<string, string> {
    return authHeaders(this.targetOf(webhook), body, eventId)
  }

  /**
   * Every body the webhook's format sends (one per event name), each about a
   * made-up purchase created at `createdOn`, with the headers a delivery of it
   * carries (`POST /_sandbox/webhooks/{id}/samples`: what `webhooks check-app`
   * sends genuinely signed), and what the app can check of them: whether the
   * scheme signs the body, and which headers are the sender's credentials.
   */
  async samples(webhook: WebhookRecord, createdOn: number): Promise<SampleSet> {
    const target = this.targetOf(webhook)
    const scheme = target.auth?.scheme ?? 'rsa-sha256'
    // An OAuth2 webhook's deliveries carry a bearer from the app's own token endpoint: the samples carry one too.
    const source = this.tokenSource(target)
    const bearer: Record<string, string> = source ? {authorization: `Bearer ${await source.bearer()}`} : {}
    const samples: SampleSet['samples'] = []
    for (const type of SANDBOX_EVENT_TYPES) {
      const event = sampleEvent(type, createdOn)
      for (const {name, body} of render(target.format, event)) {
        if (!samples.some((sample) => sample.name === name))
          samples.push({name, body: body.toString('utf8'), headers: {...authHeaders(target, body, event.id), ...bearer}})
      }
    }
    const credentials = Object.keys(samples[0]?.headers ?? {}).filter((name) => !UMM_REQUEST_HEADERS.includes(name))
    return {
      format: target.format,
      scheme,
      signs_body: schemeEntry(scheme).signsBody === true,
      // UMM Services with nothing but its request headers: client_key is all that names the sender.
      credential_headers: credentials.length > 0 ? credentials : ['client_key'],
      samples,
    }
  }

  /** A webhook as a delivery target: its callback, key, format, retry policy and scheme. */
  private targetOf(webhook: WebhookRecord): Target {
    const policy = webhook.sandbox_delivery?.retry_policy ?? 'ummah'
    return {
      url: webhook.callback,
      webhookId: webhook.id,
      privateKey: webhook.private_key,
      format: webhook.sandbox_delivery?.format ?? 'ummah',
      policy,
      delays: retryDelays(policy, this.options.retryDelaysMs),
      auth: webhook.sandbox_delivery?.auth,
    }
  }

  /** Stops retrying and waits for attempts already on the wire. */
  async close(): Promise<void> {
    this.closed = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    await Promise.allSettled([...this.inFlight])
  }

  /** OAuth2 tokens per webhook, kept between deliveries until they expire. */
  private readonly tokens = new Map<string, OAuth2TokenSource>()

  private async post(job: Job): Promise<Outcome> {
    const source = this.tokenSource(job.target)
    if (!source) return post(job.target.url, job.body, job.headers, this.options.timeoutMs)
    try {
      return await sendWithBearer(source, (authorization) => post(job.target.url, job.body, {...job.headers, authorization}, this.options.timeoutMs))
    } catch (error) {
      return {status: null, error: `token endpoint: ${(error as Error).message}`}
    }
  }

  /** The target's OAuth2 bearers (its scheme fetches one from the app's token endpoint), kept per webhook until they expire. */
  private tokenSource(target: Target): OAuth2TokenSource | undefined {
    const {auth} = target
    const client = auth && target.webhookId ? schemeEntry(auth.scheme).bearer?.(auth) : undefined
    if (!client) return undefined
    const key = `${target.webhookId} ${client.tokenUrl} ${client.clientId}`
    let source = this.tokens.get(key)
    if (!source) {
      source = new OAuth2TokenSource(client)
      this.tokens.set(key, source)
    }
    return source
  }

  private attempt(job: Job): Promise<DeliveryRecord> | undefined {
    if (this.closed) return undefined
    const done = this.send(job).finally(() => this.inFlight.delete(done))
    this.inFlight.add(done)
    return done
  }

  private async send(job: Job): Promise<DeliveryRecord> {
    const started = performance.now()
    const outcome = await this.post(job)
    const delivered = isDelivered(job.target.policy, outcome.status)
    const retryable = !delivered && job.attempt <= job.target.delays.length
    const record: DeliveryRecord = {
      id: `whd-${randomUUID()}`,
      event: job.event.name,
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
      sent_at: Math.floor(Date.now() / 1000),
      payload: JSON.parse(job.body.toString('utf8')),
    }
    job.account.deliveries.push(record)
    this.store.changed()
    if (retryable && !this.closed) {
      const timer = setTimeout(
        () => {
          this.timers.delete(timer)
          this.attempt({...job, attempt: job.attempt + 1})
        },
        job.target.delays[job.attempt - 1] / (this.options.timeScale ?? 1),
      )
      this.timers.add(timer)
    }
    return record
  }
}

/**
 * The headers of a target's deliveries: the sending side of the webhook's
 * scheme (the Ummah RSA signature by default; oauth2's bearer is added as it
 * is posted), and in the
 * umm-services format its request headers (from the scheme when it is
 * umm-services; otherwise the sandbox's client_key), with an
 * idempotent_request_key that is the same on every re-posting of the event.
 */
function authHeaders(target: Target, body: Buffer, eventId: string): Record<string, string> {
  const auth = target.auth ?? {scheme: 'rsa-sha256'}
  const headers = schemeEntry(auth.scheme).sender(auth, {privateKey: target.privateKey}).sign(body)
  if (target.format !== 'umm-services') return headers
  const umm = auth.scheme === 'umm-services' ? headers : {...headers, ...ummServicesScheme({clientKey: 'UMMSANDBOX'}).sign(body)}
  return {...umm, idempotent_request_key: eventId.replaceAll(/[^a-zA-Z0-9]/g, '')}
}

interface Outcome {
  status: number | null
  error: string | null
}

/** One POST of the exact bytes; redirects are not followed (a 3xx is a failed attempt). */
function post(url: string, body: Buffer, auth: Record<string, string>, timeoutMs: number): Promise<Outcome> {
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
        'user-agent': 'Ummah-Sandbox-Webhooks/1.0',
        ...auth,
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
