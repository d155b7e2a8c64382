/**
 * The sandbox's own helpers under /_sandbox/ (absent on a real gateway, and
 * with `--no-helpers`): a route table of method, path and handler, each
 * answering JSON for the account of the request's test key.
 */
import type {IncomingMessage} from 'node:http'

import {parseDuration} from '../shared/duration.js'
import {SandboxError, badRequest, notFound} from './errors.js'
import {type Context, checkout, completeThreeDSecure, renewDue} from './payments.js'
import {now, own} from './store.js'

/** At most 100 years at a time: a clock past that (or 1e308 s) is no clock. */
const MAX_ADVANCE_MS = 100 * 365 * 86_400_000

interface HelperRequest {
  match: RegExpExecArray
  body: Record<string, unknown>
  apiKey: string
}

interface HelperRoute {
  method: 'GET' | 'POST'
  path: RegExp
  /** How the index lists it. */
  name: string
  run(context: Context, request: HelperRequest): Promise<unknown> | unknown
}

const ROUTES: readonly HelperRoute[] = [
  {
    method: 'POST',
    path: /^\/_sandbox\/purchases\/([^/]+)\/pay\/?$/,
    name: 'POST purchases/{id}/pay',
    async run(context, {match, body}) {
      const purchase = own(context.account.purchases, match[1])
      if (!purchase) throw notFound()
      let outcome = await checkout(context, purchase, String(body.card ?? '4242424242424242'))
      if (outcome === 'requires_3ds') outcome = await completeThreeDSecure(context, purchase, body.three_d_secure !== 'fail')
      return {outcome, purchase}
    },
  },
  {
    method: 'POST',
    path: /^\/_sandbox\/advance\/?$/,
    name: 'POST advance',
    async run(context, {body}) {
      const ms = typeof body.seconds === 'number' ? body.seconds * 1000 : parseDuration(String(body.duration ?? ''))
      if (ms === undefined || !Number.isSafeInteger(ms) || ms < 0 || ms > MAX_ADVANCE_MS)
        throw badRequest({duration: ['Give a duration such as 30d, 12h, 15m or 90s, at most 100 years.']})
      const {account} = context
      if (body.client_id === undefined) {
        account.clock_offset_ms += ms
        context.store.changed()
        return {now: now(account), advanced_seconds: ms / 1000, ...(await renewDue(context))}
      }
      // One client's own test clock (as Stripe's are per customer): nothing of any other client moves.
      const clientId = String(body.client_id)
      if (!own(account.clients, clientId)) throw badRequest({client_id: ['Client with this ID does not exist.']})
      account.client_clocks ??= {}
      const offset = (account.client_clocks[clientId] ?? 0) + ms
      if (offset > MAX_ADVANCE_MS) throw badRequest({duration: ['A client clock runs at most 100 years ahead.']})
      account.client_clocks[clientId] = offset
      context.store.changed()
      return {now: now(account, offset), client_id: clientId, advanced_seconds: ms / 1000, ...(await renewDue(context, clientId))}
    },
  },
  {
    method: 'POST',
    path: /^\/_sandbox\/reset\/?$/,
    name: 'POST reset',
    run(context, {apiKey}) {
      context.store.resetAccount(apiKey)
      return {reset: true}
    },
  },
  {
    method: 'POST',
    path: /^\/_sandbox\/webhooks\/([^/]+)\/deliver\/?$/,
    name: 'POST webhooks/{id}/deliver',
    async run(context, {match, body}) {
      const webhook = webhookOf(context, match)
      const {bytes, event} = deliverable(body.payload)
      const object = event.object as {id?: unknown} | undefined
      const source = {type: 'purchase' as const, id: typeof object?.id === 'string' ? object.id : ''}
      const name = String(event.type ?? event.event_type ?? 'unknown')
      const delivery = await context.events.deliverPayload(context.account, webhook, bytes, {id: String(event.id ?? ''), name, source})
      return {delivery}
    },
  },
  {
    method: 'POST',
    path: /^\/_sandbox\/webhooks\/([^/]+)\/sign\/?$/,
    name: 'POST webhooks/{id}/sign',
    run(context, {match, body}) {
      const webhook = webhookOf(context, match)
      const {bytes, event} = deliverable(body.payload)
      return {headers: context.events.signedHeaders(webhook, bytes, String(event.id ?? ''))}
    },
  },
  {
    method: 'POST',
    path: /^\/_sandbox\/webhooks\/([^/]+)\/samples\/?$/,
    name: 'POST webhooks/{id}/samples',
    run(context, {match, body}) {
      const webhook = webhookOf(context, match)
      const createdOn = body.created_on === undefined ? Math.floor(Date.now() / 1000) : body.created_on
      if (typeof createdOn !== 'number' || !Number.isSafeInteger(createdOn) || createdOn < 0)
        throw badRequest({created_on: ['Give Unix seconds, a whole number.']})
      return context.events.samples(webhook, createdOn)
    },
  },
  {method: 'GET', path: /^\/_sandbox\/clock\/?$/, name: 'GET clock', run: (context) => ({now: now(context.account)})},
  // The index: how `trigger` tells the sandbox from a real gateway, which answers 404 here.
  {method: 'GET', path: /^\/_sandbox\/?$/, name: 'GET /', run: () => ({sandbox: true, helpers: ROUTES.map((route) => route.name)})},
]

/** The account's webhook the path names, or 404. */
function webhookOf(context: Context, match: RegExpExecArray) {
  const webhook = own(context.account.webhooks, match[1])
  if (!webhook) throw notFound()
  return webhook
}

/**
 * The payload of a signed delivery: a JSON text sent byte for byte (what the
 * inspector's editor holds), or an object sent as JSON; either way a JSON
 * object, as every event is.
 */
function deliverable(payload: unknown): {bytes: Buffer; event: Record<string, unknown>} {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(JSON.stringify(payload ?? null))
  let event: unknown
  try {
    event = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw badRequest({payload: [`Not valid JSON: ${(error as Error).message}`]})
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw badRequest({payload: ['Give the event as a JSON object.']})
  return {bytes, event: event as Record<string, unknown>}
}

/** Runs the helper at this path, or 404. */
export function runHelper(
  context: Context,
  request: IncomingMessage,
  path: string,
  body: Record<string, unknown>,
  apiKey: string,
): Promise<unknown> | unknown {
  for (const route of ROUTES) {
    const match = route.path.exec(path)
    if (match && route.method === request.method) return route.run(context, {match, body, apiKey})
  }
  throw new SandboxError(404, {error: 'Not Found', detail: `No sandbox helper at ${path}`})
}
