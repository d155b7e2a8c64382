/**
 * What every resource's handlers share: the request and response shapes,
 * documented pages, id lookups that 404, and the PurchaseDetails of a body.
 * The server has already authenticated the account, parsed JSON and checked
 * the documented parameters; handlers apply the state machine and shape the
 * documented responses.
 */
import type {EndpointId} from '../../api/endpoints.js'
import type {Client} from '../../api/types.js'
import {badRequest, notFound} from '../errors.js'
import {type Context, normalizeProducts, totalOf} from '../payments.js'
import {own} from '../store.js'

export interface HandlerRequest {
  params: Record<string, string>
  query: URLSearchParams
  body: Record<string, unknown>
}

export interface HandlerResponse {
  status: number
  body?: unknown
}

export type Handler = (context: Context, request: HandlerRequest) => HandlerResponse | Promise<HandlerResponse>

/** The handlers of a group of endpoint ids: one left out fails tsc in the group's module. */
export type Handlers<Id extends EndpointId> = Record<Id, Handler>

export interface SandboxSettings {
  /** How long a statement stays `processing`, on the account's clock. */
  statementDelayMs: number
}

export const ok = (body: unknown): HandlerResponse => ({status: 200, body})
export const created = (body: unknown): HandlerResponse => ({status: 201, body})
export const noContent: HandlerResponse = {status: 204}

/** The live record with this id (deleted ones are gone from the API), or 404. */
export function find<T>(collection: Record<string, T>, id: string): T {
  const found = own(collection, id)
  if (!found || (found as {deleted?: boolean}).deleted) throw notFound()
  return found
}

const PAGE_SIZE = 20

/** A documented page of the newest items first, with absolute `next`/`previous` links. */
export function page<T>(context: Context, request: HandlerRequest, path: string, items: readonly T[]): HandlerResponse {
  const size = Math.min(100, Math.max(1, Number.parseInt(request.query.get('page_size') ?? '', 10) || PAGE_SIZE))
  const number = Math.max(1, Number.parseInt(request.query.get('page') ?? '', 10) || 1)
  const newestFirst = [...items].reverse()
  const link = (target: number) => {
    const query = new URLSearchParams(request.query)
    query.set('page', String(target))
    query.set('page_size', String(size))
    return `${context.origin}/api/v1${path}?${query}`
  }
  return ok({
    results: newestFirst.slice((number - 1) * size, number * size),
    next: number * size < newestFirst.length ? link(number + 1) : null,
    previous: number > 1 ? link(number - 1) : null,
  })
}

/** A body's `purchase` as stored: products normalised, currency defaulted, total computed. */
export function purchaseDetails(body: Record<string, unknown>) {
  const details = (body.purchase ?? {}) as {products?: Array<{name?: string; price?: number; quantity?: number}>; currency?: string}
  const products = normalizeProducts(details.products ?? [])
  return {products, currency: details.currency ?? 'USD', total_amount: totalOf(products)}
}

/** The account's client with this id, or 400 on the body field that named it. */
export function existingClient(context: Context, id: unknown, field: string): Client {
  const client = typeof id === 'string' ? own(context.account.clients, id) : undefined
  if (!client) throw badRequest({[field]: ['Client with this ID does not exist.']})
  return client
}
