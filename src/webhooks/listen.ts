/**
 * `ummah webhooks listen`: one webhook per profile and machine, re-pointed at
 * this listener on start and unsubscribed at exit (so its public key stays
 * the same, and the gateway sends nothing while no listener runs); one
 * listener per profile at a time; deliveries from an EventSource (the local
 * HTTP receiver) through the pipeline (verify → spool → forward); one typed
 * line per happening, rendered by the command.
 */
import {createHash} from 'node:crypto'
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'

import {NotFoundError} from '../api/errors.js'
import type {Webhook} from '../api/types.js'
import {UmmahError, UsageError} from '../shared/errors.js'
import {configDir, stateDir} from '../config/store.js'
import {sizeHeapForMemory} from '../shared/heap.js'
import {acquireListenerLock, lockOwner, movedListenDir} from './listener-lock.js'
import {type EventSource, type EventState, type ListenLine, Pipeline} from './pipeline.js'
import type {ReplayResult} from './events.js'
import {HttpReceiver, type ReceiverOptions} from './receiver.js'
import type {RelayState} from './relay-channel.js'
import type {SchemeName, SchemeSettings} from '../schemes/catalog.js'
import {listenerCheck} from '../schemes/listening.js'
import type {OAuth2TokenSource} from '../schemes/oauth2.js'
import {Spool, type SpooledEvent} from './spool.js'
import type {Chaos, ChaosSpec} from './chaos.js'
import type {SampleSet} from '../schemes/types.js'

export type {ListenLine} from './pipeline.js'

/** The API calls the listener makes, bound by the command to its client. */
export interface WebhookApi {
  create(body: Record<string, unknown>): Promise<Webhook>
  patch(id: string, body: Record<string, unknown>): Promise<Webhook>
  retrieve(id: string): Promise<Webhook>
  list(): Promise<Webhook[]>
  /** The sandbox's signed delivery of a payload to a webhook (the inspector's edit and replay). */
  deliver?(webhookId: string, payload: string): Promise<unknown>
  /** The sandbox's headers signing exactly this payload with the webhook's key (check-app, listen --chaos). */
  sign?(webhookId: string, payload: string): Promise<Record<string, string>>
  /** The sandbox's genuinely signed samples of every event in the webhook's format (check-app). */
  samples?(webhookId: string, createdOn: number): Promise<SampleSet>
  /** Whether the gateway is the sandbox (`GET /_sandbox/` answers; a real gateway's is 404). */
  isSandbox?(): Promise<boolean>
}

export interface ListenState {
  webhook_id?: string
  /** sha256 of the webhook's public key, to notice when it changes. */
  key_sha256?: string
  port?: number
  forward?: string
  /** With --relay: the channel streamed and the cursor stored after the last entry spooled. */
  relay?: RelayState
  /** The running listener's inspector (`webhooks inspect`), while that process lives. */
  inspector?: {url: string; pid: number}
}

const chosenDirs = new Map<string, string>()

/** The listener's directory (spools, locks, state) in the state directory; an older ummah's, in the config directory, moved there first. */
export function listenDir(env: NodeJS.ProcessEnv = process.env): string {
  const to = join(stateDir(env), 'listen')
  const from = join(configDir(env), 'listen')
  const key = `${from}\0${to}`
  // Looked at once a process: the listener asks for its paths often.
  if (!chosenDirs.has(key)) chosenDirs.set(key, movedListenDir(from, to))
  return chosenDirs.get(key)!
}

export function spoolFile(profile: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(listenDir(env), `${profile}.spool`)
}

function stateFile(profile: string): string {
  return join(listenDir(), `${profile}.json`)
}

function lockFile(profile: string): string {
  return join(listenDir(), `${profile}.lock`)
}

const keyDigest = (key: string) => createHash('sha256').update(key.trim()).digest('hex')

export async function readState(profile: string): Promise<ListenState> {
  try {
    return JSON.parse(await readFile(stateFile(profile), 'utf8')) as ListenState
  } catch {
    return {}
  }
}

/** Every state change, one at a time: read, change, write (the relay cursor is saved while the listener runs). */
let stateWrites: Promise<unknown> = Promise.resolve()
function updateState(profile: string, change: (state: ListenState) => ListenState): Promise<void> {
  const next = stateWrites.catch(() => {}).then(async () => saveState(profile, change(await readState(profile))))
  stateWrites = next
  return next
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

export interface EnsuredWebhook {
  webhook: Webhook
  /** The app's key no longer verifies: the stored webhook was gone (a new one was made) or its key differs from last time. */
  keyChanged: boolean
  previousId?: string
}

/**
 * The listener's webhook: `--webhook-id`, else the one this profile used
 * last (re-pointed), else a new one. Its id and key digest are remembered,
 * so a changed key is noticed and said out loud.
 */
export async function ensureWebhook(
  api: WebhookApi,
  profile: string,
  options: {webhookId?: string; callback: string; subscription: Subscription},
): Promise<EnsuredWebhook> {
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
  const digest = keyDigest(webhook.public_key)
  const keyChanged = state.key_sha256 !== undefined ? state.key_sha256 !== digest : Boolean(state.webhook_id && state.webhook_id !== webhook.id)
  await updateState(profile, (current) => ({...current, webhook_id: webhook.id, key_sha256: digest}))
  return {webhook, keyChanged, previousId: state.webhook_id !== webhook.id ? state.webhook_id : undefined}
}

/**
 * `--print-public-key`: the key of the webhook this `listen`, with the same
 * flags, would use, only read (a running listener keeps receiving; nothing is
 * made): a team channel's shared webhook (the one delivering to the channel's
 * ingress URL), else this profile's own (its personal relay channel too).
 * None yet: not_found, saying how to make one.
 */
export async function printedPublicKey(
  api: WebhookApi,
  profile: string,
  options: {webhookId?: string; relay?: {urls: string[]; token: string; channel?: string}},
): Promise<Webhook> {
  const {relay, webhookId} = options
  if (relay?.channel && !webhookId) {
    const {RelayApi} = await import('../relay/admin-client.js')
    const channel = await new RelayApi(relay.urls, relay.token).getChannel(relay.channel)
    const shared = (await api.list()).find((webhook) => webhook.callback === channel.ingress_url)
    if (shared) return shared
    throw new UmmahError(`No webhook delivers to relay channel ${channel.name} yet`, {
      code: 'not_found',
      hint: `Start \`ummah webhooks listen --relay … --channel ${channel.name}\` once: it subscribes the team's webhook and prints its key.`,
    })
  }
  const id = webhookId ?? (await readState(profile)).webhook_id
  const none = () =>
    new UmmahError(`Profile "${profile}" has no listener webhook${id ? ` (${id} is gone)` : ''} yet: --print-public-key only reads`, {
      code: 'not_found',
      hint: 'Start `ummah webhooks listen --forward …` once: it makes the webhook, and its Ready line (and `export UMMAH_WEBHOOK_PUBLIC_KEY=…`) carries the key.',
    })
  if (!id) throw none()
  try {
    return await api.retrieve(id)
  } catch (error) {
    if (error instanceof NotFoundError && !webhookId) throw none()
    throw error
  }
}

/**
 * `check-app`: the listener webhook's key, read without changing the webhook
 * (a running listener keeps receiving). Only when this profile has none yet
 * is one made, unsubscribed, so an app checked first is configured for the
 * listener that comes after.
 */
export async function listenerPublicKey(api: WebhookApi, profile: string, webhookId?: string): Promise<Webhook> {
  const id = webhookId ?? (await readState(profile)).webhook_id
  if (id) {
    try {
      return await api.retrieve(id)
    } catch (error) {
      if (!(error instanceof NotFoundError) || webhookId) throw error
    }
  }
  const running = await lockOwner(lockFile(profile))
  if (running)
    throw new UsageError(
      `The listener webhook of profile "${profile}" is gone, and a listener (pid ${running.pid}) is running`,
      'Restart that listener: it makes a new webhook and prints its key.',
    )
  return (await ensureWebhook(api, profile, {callback: 'http://127.0.0.1:9/ummah-webhooks-listen', subscription: UNSUBSCRIBED})).webhook
}

/** The running listener's inspector URL (`webhooks inspect`): found through its lock (alive) and its state (the URL it printed). */
export async function runningInspector(profile: string): Promise<string> {
  const owner = await lockOwner(lockFile(profile))
  if (!owner)
    throw new UsageError(`No listener is running for profile "${profile}"`, 'Start one: ummah webhooks listen --forward localhost:3000/webhook')
  const {inspector} = await readState(profile)
  if (inspector?.pid !== owner.pid)
    throw new UsageError(`The listener of profile "${profile}" (pid ${owner.pid}) runs without the inspector`, 'Restart it without --no-inspect.')
  return inspector.url
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
  /** Take the webhook over from a listener already running on this profile. */
  takeover: boolean
  skipVerify: boolean
  maxBodyBytes: number
  timeoutMs: number
  maxAttempts: number
  concurrency: number
  dedupeWindowMs?: number
  headers: Record<string, string>
  /** `--forward-auth oauth2:…` */
  tokens?: OAuth2TokenSource
  /** A partner scheme to verify deliveries with, instead of the webhook's RSA key. */
  verifyScheme?: {name: SchemeName; options: SchemeSettings}
  graceMs: number
  print: (line: ListenLine) => void
  /** The inspector's URL (started before the listener), for the ready line and the state file. */
  inspectorUrl?: string
  /** `--chaos`: deliver like an imperfect network (chaos.ts). */
  chaos?: {spec: ChaosSpec; seed: number}
  /** Receive through `ummah relay` instead of a local port. */
  relay?: {urls: string[]; token: string; channel?: string}
}

export interface ListenSession {
  webhook: Webhook
  receiverUrl: string
  /** Resolves if the source ends for good while running (the relay revoked the token, deleted the channel). */
  failed: Promise<Error>
  /** Stops accepting, lets in-flight forwards finish (bounded), unsubscribes; the summary. */
  stop(): Promise<Extract<ListenLine, {type: 'summary'}>>
  /** The counts so far, for a stop that cannot wait (a second Ctrl-C): what is pending stays in the spool. */
  summary(): Extract<ListenLine, {type: 'summary'}>
  /** What the inspector reads and does. */
  readonly inspection: Inspection
}

/** A running listener as the inspector sees it: the events kept, where each one is, and a replay. */
export interface Inspection {
  spool: Spool
  webhookId: string
  /** The event types its webhook is subscribed to (what the gateway sends it). */
  events: readonly string[] | 'all'
  forward: string
  /** Where deliveries come from (the receiver's URL, or the relay channel). */
  source: string
  checkedBy: string
  stateOf(event: SpooledEvent): EventState
  replay(event: SpooledEvent): Promise<ReplayResult>
}

/**
 * Starts a listener from its parts: the profile's state and lock, the spool,
 * the pipeline, the source (receiver or relay), the webhook provisioned for
 * it, and the session that stops them in order.
 */
export async function startListening(options: ListenOptions): Promise<ListenSession> {
  const {profile, print} = options
  // A listener runs for hours beside the app: its memory matters more than its last few percent of throughput.
  sizeHeapForMemory()
  let publicKey: string | undefined
  const checks = listenerCheck(options.verifyScheme?.name ?? 'rsa-sha256', options.verifyScheme?.options ?? {}, () => publicKey)
  const state = await readState(profile)
  const lock = await acquireListenerLock(lockFile(profile), {forward: options.forward.href}, {takeover: options.takeover, profile})
  const file = spoolFile(profile)
  const cleanups: Array<() => Promise<unknown>> = [() => lock.release()]
  try {
    const spool = await Spool.open(file, {
      dedupeWindowMs: options.dedupeWindowMs,
      onHealth: (health) =>
        print(health.ok ? {type: 'disk-ok', path: file} : {type: 'disk-full', path: file, code: health.code, error: health.message}),
    })
    cleanups.push(() => spool.close())
    if (spool.damaged > 0) print({type: 'damaged', path: file, lines: spool.damaged})
    let webhookId = ''
    const chaos = options.chaos ? await startChaos(options, () => webhookId) : undefined
    const pipeline = new Pipeline({
      spool,
      verify: checks.verify,
      deliveryHeaders: checks.headers,
      skipVerify: options.skipVerify,
      checkedBy: () => checkedBy(options, publicKey),
      source: options.relay ? `relay ${options.relay.channel ?? 'personal channel'}` : 'receiver',
      emit: print,
      forward: {
        target: options.forward,
        timeoutMs: options.timeoutMs,
        maxAttempts: options.maxAttempts,
        concurrency: options.concurrency,
        headers: options.headers,
        tokens: options.tokens,
        chaos,
      },
    })
    const opened = await openSource(options, state, pipeline, checks.tokenEndpoint)
    cleanups.push(() => opened.source.close())
    const ensured = await provisionWebhook(options, opened)
    publicKey = ensured.webhook.public_key
    webhookId = ensured.webhook.id
    if (opened.source instanceof HttpReceiver) {
      const {port} = opened.source
      await updateState(profile, (current) => ({...current, port, forward: options.forward.href}))
    }
    const pending = pipeline.start()
    // The relay is streamed once the key is known, so nothing it sends meets a "starting" 503.
    if (opened.connect) await opened.connect()
    if (options.inspectorUrl) await updateState(profile, (current) => ({...current, inspector: {url: options.inspectorUrl!, pid: process.pid}}))
    print({
      type: 'ready',
      url: opened.shownUrl,
      forward: options.forward.href,
      webhook_id: ensured.webhook.id,
      public_key: ensured.webhook.public_key,
      events: options.events?.length ? options.events : 'all',
      pending,
      key_changed: ensured.keyChanged,
      ...(ensured.previousId ? {previous_webhook_id: ensured.previousId} : {}),
      ...(opened.channel ? {relay: options.relay!.urls.join(','), channel: opened.channel} : {}),
      ...(options.inspectorUrl ? {inspector: options.inspectorUrl} : {}),
      ...(chaos ? {chaos_seed: chaos.seed} : {}),
    })
    return new ListeningSession({options, webhook: ensured.webhook, opened, pipeline, spool, lock, chaos})
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
    throw error
  }
}

/** `--chaos`: stale copies are signed by the sandbox with the webhook's key, so a gateway without it cannot have them. */
async function startChaos(options: ListenOptions, webhookId: () => string): Promise<Chaos> {
  const {Chaos} = await import('./chaos.js')
  const {spec, seed} = options.chaos!
  const {api} = options
  if (spec.stale > 0 && !(api.sign && (await api.isSandbox?.().catch(() => false))))
    throw new UsageError(
      "--chaos stale=… needs the sandbox: only it can sign an old event with the webhook's key",
      'Leave stale out on this gateway.',
    )
  return new Chaos(spec, seed, api.sign ? (body) => api.sign!(webhookId(), body) : undefined)
}

/** The verdict's "by": the scheme, and for the webhook's own key its fingerprint (the first 16 hex of its SHA-256). */
function checkedBy(options: ListenOptions, publicKey: string | undefined): string {
  const scheme = options.verifyScheme?.name ?? 'rsa-sha256'
  if (!publicKey || options.verifyScheme) return scheme
  // Asked for every event: the key's digest once per key, not once per event (1.5% of a listener's CPU under load).
  if (lastChecked?.key !== publicKey) lastChecked = {key: publicKey, by: `${scheme} · key sha256:${keyDigest(publicKey).slice(0, 16)}`}
  return lastChecked.by
}

let lastChecked: {key: string; by: string} | undefined

/** The webhook the source is subscribed through: a team channel's shared one, else this profile's own (made or re-pointed). */
function provisionWebhook(options: ListenOptions, opened: OpenedSource): Promise<{webhook: Webhook; keyChanged: boolean; previousId?: string}> {
  const wanted = subscription(options.events)
  if (opened.shared) return sharedWebhook(options.api, opened.url, wanted)
  return ensureWebhook(options.api, options.profile, {webhookId: options.webhookId, callback: options.publicUrl ?? opened.url, subscription: wanted})
}

/** A running listener: its counts, and the stop that takes it down in order (source, forwards, webhook, spool, lock). */
class ListeningSession implements ListenSession {
  readonly webhook: Webhook
  readonly receiverUrl: string
  readonly failed: Promise<Error>
  readonly inspection: Inspection

  constructor(
    private readonly parts: {
      options: ListenOptions
      webhook: Webhook
      opened: OpenedSource
      pipeline: Pipeline
      spool: Spool
      lock: Awaited<ReturnType<typeof acquireListenerLock>>
      chaos?: Chaos
    },
  ) {
    this.webhook = parts.webhook
    this.receiverUrl = parts.opened.url
    this.failed = parts.opened.failed ?? new Promise<Error>(() => {})
    const {options, pipeline, spool, opened} = parts
    this.inspection = {
      spool,
      webhookId: parts.webhook.id,
      events: parts.webhook.all_events ? 'all' : parts.webhook.events,
      forward: options.forward.href,
      source: opened.channel ? `relay channel ${opened.channel}` : `receiver ${opened.shownUrl}`,
      checkedBy: checkedBy(options, parts.webhook.public_key),
      stateOf: (event) => pipeline.stateOf(event),
      replay: (event) => pipeline.replay(event),
    }
  }

  summary(): Extract<ListenLine, {type: 'summary'}> {
    return {type: 'summary', ...this.parts.pipeline.counts, pending: this.parts.spool.pending().length, ...this.chaosSummary()}
  }

  async stop(): Promise<Extract<ListenLine, {type: 'summary'}>> {
    const {options, webhook, opened, pipeline, spool, lock} = this.parts
    options.print({type: 'stopping', in_flight: pipeline.inFlight(), grace_ms: options.graceMs})
    await opened.source.close()
    await pipeline.stop(options.graceMs)
    let unsubscribeError: Error | undefined
    // After a --takeover elsewhere the webhook is that listener's, and a team channel's is everyone's: leave it subscribed.
    if (!opened.shared && (await lock.held())) {
      try {
        await options.api.patch(webhook.id, {...UNSUBSCRIBED})
      } catch (error) {
        unsubscribeError = error as Error
      }
    }
    const stillPending = spool.pending().length
    await spool.close()
    if (options.inspectorUrl && (await lock.held())) await updateState(options.profile, ({inspector: _gone, ...current}) => current).catch(() => {})
    await lock.release()
    if (unsubscribeError)
      options.print({type: 'error', stage: 'webhook', error: `could not unsubscribe webhook ${webhook.id}: ${unsubscribeError.message}`})
    return {type: 'summary', ...pipeline.counts, pending: stillPending, ...this.chaosSummary()}
  }

  private chaosSummary() {
    return this.parts.chaos ? {chaos: this.parts.chaos.summary()} : {}
  }
}

interface OpenedSource {
  source: EventSource
  /** The webhook's callback. */
  url: string
  /** The callback as the ready line shows it (an ingress secret shortened). */
  shownUrl: string
  shared: boolean
  channel?: string
  /** Starts the stream (the relay), once the pipeline can take entries. */
  connect?: () => Promise<unknown>
  failed?: Promise<Error>
}

/** Where deliveries come from: a local port, or a channel of `ummah relay` (no port at all). */
async function openSource(
  options: ListenOptions,
  state: ListenState,
  pipeline: Pipeline,
  tokenEndpoint: ReceiverOptions['tokenEndpoint'],
): Promise<OpenedSource> {
  if (!options.relay) {
    const receiver = new HttpReceiver({
      host: options.host,
      ports: options.port === 0 && state.port ? [state.port, 0] : [options.port],
      maxBodyBytes: options.maxBodyBytes,
      tokenEndpoint,
    })
    // Listening before the webhook exists (its callback is this URL); the pipeline answers 503 until the key is known.
    const {url} = await receiver.start(pipeline)
    return {source: receiver, url, shownUrl: url, shared: false}
  }
  const [{resolveChannel, maskIngress}, {RelaySource}] = await Promise.all([import('./relay-channel.js'), import('./relay-source.js')])
  const {urls, token, channel: requested} = options.relay
  const resolved = await resolveChannel({urls, token, profile: options.profile, channel: requested, state: state.relay})
  const relay = urls.join(',')
  const remember = (position: {cursor?: string; channelId?: string; seq?: number}) =>
    updateState(options.profile, (current) => ({
      ...current,
      relay: {
        relay,
        channel: resolved.channel,
        channel_id: position.channelId,
        ingress_url: resolved.ingressUrl,
        cursor: position.cursor,
        cursor_seq: position.seq,
      },
    }))
  // The cursor as resolved (`0` for a new incarnation), with the incarnation it belongs to; `$` is kept only once the relay resolves it.
  await remember({cursor: resolved.cursor === '$' ? undefined : resolved.cursor, channelId: resolved.channelId, seq: resolved.cursorSeq})
  const source = new RelaySource({
    urls,
    token,
    channel: resolved.channel,
    channelId: resolved.channelId,
    cursorSeq: resolved.cursorSeq,
    ingressUrl: resolved.ingressUrl,
    cursor: resolved.cursor,
    saveCursor: remember,
    emit: options.print,
  })
  return {
    source,
    url: resolved.ingressUrl,
    shownUrl: maskIngress(resolved.ingressUrl),
    shared: resolved.shared,
    channel: resolved.channel,
    connect: () => source.start(pipeline),
    failed: source.failed,
  }
}

/** A team channel's webhook: the one whose callback is the channel's ingress URL, else a new one. */
async function sharedWebhook(api: WebhookApi, callback: string, wanted: Subscription): Promise<EnsuredWebhook> {
  const existing = (await api.list()).find((webhook) => webhook.callback === callback)
  return {webhook: existing ?? (await api.create({callback, title: 'ummah relay (team channel)', ...wanted})), keyChanged: false}
}
