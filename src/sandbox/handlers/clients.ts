/** Clients and their saved payment methods (recurring tokens). */
import type {EndpointId} from '../../api/endpoints.js'
import type {Client} from '../../api/types.js'
import {notFound} from '../errors.js'
import {CLIENT_FIELDS, emitClientEvent, newClient} from '../payments.js'
import {type Handlers, created, find, noContent, ok, page} from './common.js'

type ClientEndpoint = Extract<EndpointId, `clients.${string}`>

/** The documented client fields a body gives; `null` clears one. */
function clientFields(body: Record<string, unknown>): Partial<Client> {
  return Object.fromEntries(CLIENT_FIELDS.filter((field) => body[field] !== undefined).map((field) => [field, body[field]]))
}

export const clientHandlers: Handlers<ClientEndpoint> = {
  async 'clients.create'(context, {body}) {
    return created(await newClient(context, clientFields(body) as Partial<Client> & {email: string}))
  },
  'clients.list': (context, request) => page(context, request, '/clients/', Object.values(context.account.clients)),
  'clients.retrieve': (context, request) => ok(find(context.account.clients, request.params.id)),
  async 'clients.update'(context, {params, body}) {
    // PUT replaces: every documented field not given is null again.
    const client = find(context.account.clients, params.id)
    for (const field of CLIENT_FIELDS) client[field] = null as never
    Object.assign(client, clientFields(body))
    context.store.changed()
    await emitClientEvent(context, 'client.updated', client)
    return ok(client)
  },
  async 'clients.partial_update'(context, {params, body}) {
    const client = Object.assign(find(context.account.clients, params.id), clientFields(body))
    context.store.changed()
    await emitClientEvent(context, 'client.updated', client)
    return ok(client)
  },
  'clients.delete'(context, {params}) {
    find(context.account.clients, params.id)
    delete context.account.clients[params.id]
    for (const token of Object.values(context.account.tokens)) if (token.client_id === params.id) delete context.account.tokens[token.id]
    context.store.changed()
    return noContent
  },
  'clients.recurring_tokens.retrieve'(context, {params}) {
    find(context.account.clients, params.id)
    const token = find(context.account.tokens, params.token)
    if (token.client_id !== params.id) throw notFound()
    const {client_id: _client, declines: _declines, ...visible} = token
    return ok(visible)
  },
  'clients.recurring_tokens.delete'(context, {params}) {
    find(context.account.clients, params.id)
    const token = find(context.account.tokens, params.token)
    if (token.client_id !== params.id) throw notFound()
    delete context.account.tokens[token.id]
    for (const purchase of Object.values(context.account.purchases)) if (purchase.recurring_token === token.id) purchase.recurring_token = null
    context.store.changed()
    return noContent
  },
}
