/**
 * `ummah webhooks listen`: one webhook per profile and machine, re-pointed at
 * this listener on start and unsubscribed at exit (so its public key never
 * changes and the gateway sends nothing while no listener runs); a receiver
 * that spools every verified delivery durably; a forwarder that relays the
 * spool to the app in order; one line (or one JSON object) per happening.
 */
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {setFlagsFromString} from 'node:v8'

import {NotFoundError, UsageError} from '../api/errors.js'
import {configDir} from '../config/store.js'
import {type ForwardReport, Forwarder} from './forward.js'
import {type ReceiveReport, type ReceiverOptions, startReceiver} from './receiver.js'
import {SCHEME_NAMES, type SchemeOptions, buildScheme} from './schemes/index.js'
import {OAuth2Issuer, type OAuth2TokenSource} from './schemes/oauth2.js'
import {verifyRsaSha256} from './signature.js'
import {Spool} from './spool.js'

export interface Webhook {
  id: string
  callback: string
  events: string[]
  all_events: boolean
  public_key: string
}

/** The API calls the listener makes, bound by the command to its client. */
export interface WebhookApi {
  create(body: Record<string, unknown>): Promise<Webhook>
  patch(id: string, body: Record<string, unknown>): Promise<Webhook>
}

export interface ListenState {
  webhook_id?: string
  port?: number
  forward?: string
}

export function listenDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'listen')
}

export function spoolFile(profile: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(listenDir(env), `${profile}.spool`)
}

function stateFile(profile: string): string {
  return join(listenDir(), `${profile}.json`)
}

export async function readState(profile: string): Promise<ListenState> {
  try {
    return JSON.parse(await readFile(stateFile(profile), 'utf8')) as ListenState
  } catch {
    return {}
  }
}

async function saveState(profile: string, state: ListenState): Promise<void> {
  const file = stateFile(profile)
  await mkdir(listenDir(), {recursive: true, mode: 0o700})
  await writeFile(`${file}.tmp`, JSON.stringify(state), {mode: 0o600})
  await rename(`${file}.tmp`, file)
}

export interface Subscription {
  events: string[]
  all_events: boolean
}

/** The events to subscribe: the listed ones, else all. */
export function subscription(events: string[] | undefined): Subscription {
  return events && events.length > 0 ? {events, all_events: false} : {events: [], all_events: true}
}

export const UNSUBSCRIBED: Subscription = {events: [], all_events: false}

/**
 * The listener's webhook: `--webhook-id`, else the one this profile used
 * last (re-pointed), else a new one. Its id is remembered for next time.
 */
export async function ensureWebhook(api: WebhookApi, profile: string, options: {webhookId?: string; callback: string; subscription: Subscription}): Promise<Webhook> {
  const state = await readState(profile)
  const id = options.webhookId ?? state.webhook_id
  let webhook: Webhook | undefined
  if (id) {
    try {
      webhook = await api.patch(id, {callback: options.callback, ...options.subscription})
    } catch (error) {
      if (!(error instanceof NotFoundError) || options.webhookId) throw error
    }
  }
  webhook ??= await api.create({callback: options.callback, title: `ummah webhooks listen (${profile}@${hostname()})`, ...options.subscription})
  await saveState(profile, {...state, webhook_id: webhook.id})
  return webhook
}

export interface ListenOptions {
  api: WebhookApi
  profile: string
  forward: URL
  host: string
  port: number
  publicUrl?: string
  events?: string[]
  webhookId?: string
  skipVerify: boolean
  maxBodyBytes: number
  timeoutMs: number
  maxAttempts: number
  concurrency: number
  headers: Record<string, string>
  /** `--forward-auth oauth2:…` */
  tokens?: OAuth2TokenSource
  /** A partner scheme to verify deliveries with, instead of the webhook's RSA key. */
  verifyScheme?: {name: ListenSchemeName; options: SchemeOptions & {clientId?: string; clientSecret?: string; scope?: string}}
  graceMs: number
  print: (line: ListenLine) => void
}

/** What the listener reports, one per line; `--format json` prints these objects as NDJSON. */
export type ListenLine =
  | {type: 'ready'; url: string; forward: string; webhook_id: string; public_key: string; events: string[] | 'all'; pending: number}
  | {type: 'event'; id: string; event_type: string; seq?: number; verified: boolean; duplicate?: boolean}
  | {type: 'response'; id: string; event_type: string; status: number; method: 'POST'; url: string; duration_ms: number; attempt: number}
  | {type: 'retry'; id: string; event_type: string; status?: number; error?: string; url: string; duration_ms: number; attempt: number; retry_in_ms: number}
  | {type: 'error'; id?: string; event_type?: string; status?: number; error: string; url?: string; attempt?: number; stage: 'forward' | 'receive' | 'webhook'}
  | {type: 'summary'; received: number; delivered: number; failed: number; pending: number; rejected: number; duplicates: number}

export interface ListenSession {
  webhook: Webhook
  receiverUrl: string
  /** Stops accepting, lets in-flight forwards finish (bounded), unsubscribes; the summary. */
  stop(): Promise<Extract<ListenLine, {type: 'summary'}>>
}

/**
 * A listener runs for hours beside the app, so its memory matters more than
 * its last few percent of throughput. Under a steady stream of deliveries
 * V8's default sizing grows the young generation to 32 MB and lets the old
 * one reach about four times what is live: +60–100 MB of RSS at 3,000
 * events/s for ~16 MB live. Here the young generation keeps its starting size
 * and the old one grows 1.5× between full collections: +30–40 MB, about 5%
 * fewer events/s (bench/, README "Performance"). V8 reads both at each sizing
 * decision, so setting them now, before any load, takes effect; they change
 * no behaviour.
 */
function sizeHeapForMemory(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString('--heap-growing-percent=50')
}

export async function startListening(options: ListenOptions): Promise<ListenSession> {
  const {api, profile, print} = options
  sizeHeapForMemory()
  let publicKey: string | undefined
  const checks = verifier(options.verifyScheme, () => publicKey)
  const spool = await Spool.open(spoolFile(profile))
  const counts = {received: 0, delivered: 0, failed: 0, rejected: 0, duplicates: 0}

  const forwarder = new Forwarder({
    target: options.forward,
    spool,
    timeoutMs: options.timeoutMs,
    maxAttempts: options.maxAttempts,
    concurrency: options.concurrency,
    headers: options.headers,
    tokens: options.tokens,
    report: (report) => {
      if (report.kind === 'response') counts.delivered++
      if (report.kind === 'failed') counts.failed++
      print(forwardLine(report))
    },
  })

  const state = await readState(profile)
  const receiver = await startReceiver({
    host: options.host,
    ports: options.port === 0 && state.port ? [state.port, 0] : [options.port],
    spool,
    verify: checks.verify,
    tokenEndpoint: checks.tokenEndpoint,
    skipVerify: options.skipVerify,
    maxBodyBytes: options.maxBodyBytes,
    report: (report) => receiveReport(report, counts, print),
    room: () => forwarder.room(),
    accepted: (event, durable) => forwarder.enqueue(event, durable),
  })

  let webhook: Webhook
  try {
    webhook = await ensureWebhook(api, profile, {
      webhookId: options.webhookId,
      callback: options.publicUrl ?? receiver.url,
      subscription: subscription(options.events),
    })
  } catch (error) {
    await receiver.close()
    await spool.close()
    throw error
  }
  publicKey = webhook.public_key
  await saveState(profile, {...(await readState(profile)), port: receiver.port, forward: options.forward.href})

  // What an earlier run received but did not deliver goes first, in order.
  const pending = spool.pending()
  for (const event of pending) forwarder.enqueue(event)
  forwarder.start()
  print({
    type: 'ready',
    url: receiver.url,
    forward: options.forward.href,
    webhook_id: webhook.id,
    public_key: webhook.public_key,
    events: options.events?.length ? options.events : 'all',
    pending: pending.length,
  })

  return {
    webhook,
    receiverUrl: receiver.url,
    async stop() {
      await receiver.close()
      await forwarder.stop(options.graceMs)
      let unsubscribeError: Error | undefined
      try {
        await api.patch(webhook.id, {...UNSUBSCRIBED})
      } catch (error) {
        unsubscribeError = error as Error
      }
      const stillPending = spool.pending().length
      await spool.close()
      if (unsubscribeError) print({type: 'error', stage: 'webhook', error: `could not unsubscribe webhook ${webhook.id}: ${unsubscribeError.message}`})
      return {type: 'summary', ...counts, pending: stillPending}
    },
  }
}

export type ListenSchemeName = (typeof SCHEME_NAMES)[number]

/** How the receiver checks deliveries: the webhook's RSA key, or a partner scheme (oauth2: bearers this listener issues at …/oauth/token). */
function verifier(scheme: ListenOptions['verifyScheme'], publicKey: () => string | undefined): Pick<ReceiverOptions, 'tokenEndpoint' | 'verify'> {
  if (!scheme || scheme.name === 'rsa-sha256') {
    return {verify: (request) => {
      const key = publicKey()
      return key ? verifyRsaSha256(request.body, request.headers['x-signature'], key) : {ok: false, reason: 'no public key to verify with'}
    }}
  }
  if (scheme.name === 'oauth2') {
    const {clientId, clientSecret, scope} = scheme.options
    if (!clientId || !clientSecret) throw new UsageError('--verify-scheme oauth2 needs --client-id and --client-secret', 'They are what the gateway uses at this listener\'s token endpoint, …/oauth/token.')
    const issuer = new OAuth2Issuer({clientId, clientSecret, scope, ttlSeconds: 3600})
    return {verify: (request) => issuer.verify(request), tokenEndpoint: (authorization, form) => issuer.tokenResponse(authorization, form)}
  }
  const built = buildScheme(scheme.name, scheme.options)
  return {verify: (request) => built.verify(request)}
}

function receiveReport(report: ReceiveReport, counts: {received: number; rejected: number; duplicates: number}, print: (line: ListenLine) => void): void {
  switch (report.kind) {
    case 'event':
      counts.received++
      print({type: 'event', id: report.event.id, event_type: report.event.type, seq: report.event.seq, verified: report.verified})
      break
    case 'duplicate':
      counts.duplicates++
      print({type: 'event', id: report.id, event_type: report.type, verified: true, duplicate: true})
      break
    case 'rejected':
      counts.rejected++
      print({type: 'error', stage: 'receive', status: report.status, error: report.reason, id: report.id, event_type: report.type})
      break
  }
}

function forwardLine(report: ForwardReport): ListenLine {
  const {event} = report
  const common = {id: event.id, event_type: event.type, url: report.url, attempt: event.attempts, duration_ms: Math.round(report.durationMs)}
  switch (report.kind) {
    case 'response':
      return {type: 'response', ...common, status: report.status, method: 'POST'}
    case 'retry':
      return {type: 'retry', ...common, status: report.status, error: report.error, retry_in_ms: report.delayMs}
    case 'failed':
      return {type: 'error', stage: 'forward', ...common, status: report.status, error: report.error}
  }
}

/** The human line for a report (Stripe CLI style: `-->` received, `<--` the app's answer). */
export function formatLine(line: ListenLine, style: {status(text: string): string; error(text: string): string; dim(text: string): string; bold(text: string): string}): string {
  const time = style.dim(new Date().toISOString().slice(11, 19))
  switch (line.type) {
    case 'ready':
      return [
        `${style.bold('Ready!')} Listening at ${line.url}, forwarding to ${line.forward} (webhook ${line.webhook_id}, events: ${line.events === 'all' ? 'all' : line.events.join(', ')}${line.pending ? `, ${line.pending} pending from the last run` : ''}).`,
        "Your app verifies deliveries with this webhook's public key, the same on every run:",
        `export UMMAH_WEBHOOK_PUBLIC_KEY='${line.public_key.trim()}'`,
      ].join('\n')
    case 'event':
      return `${time}  --> ${style.bold(line.event_type)} [${line.id}]${line.duplicate ? style.dim(' duplicate, already received: not forwarded again') : line.verified ? '' : style.error(' signature NOT verified (--skip-verify)')}`
    case 'response':
      return `${time}  <-- [${style.status(line.status < 300 ? 'delivered' : 'failed')} ${line.status}] POST ${line.url} [${line.id}] ${line.duration_ms} ms`
    case 'retry':
      return `${time}  <-- [${style.error(line.status === undefined ? line.error ?? 'failed' : String(line.status))}] POST ${line.url} [${line.id}] ${line.duration_ms} ms; retry ${line.attempt + 1} in ${line.retry_in_ms} ms`
    case 'error':
      if (line.stage === 'webhook') return `${time}  ${style.error(`! ${line.error}`)}`
      return line.stage === 'receive'
        ? `${time}  ${style.error(`x refused ${line.status ?? ''} ${line.event_type ?? ''} [${line.id ?? '-'}]: ${line.error}`.replaceAll(/\s+/g, ' '))}`
        : `${time}  <-- ${style.error(`[failed${line.status === undefined ? '' : ` ${line.status}`}] POST ${line.url} [${line.id}]: ${line.error}; not retried (resend with \`ummah webhooks events resend ${line.id}\`)`)}`
    case 'summary':
      return `Stopped. Received ${line.received}, delivered ${line.delivered}, failed ${line.failed}, pending ${line.pending} (kept for the next run), refused ${line.rejected}, duplicates ${line.duplicates}.`
  }
}

