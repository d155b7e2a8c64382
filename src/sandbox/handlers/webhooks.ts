/** Webhooks, their deliveries, and the company callback key. */
import {randomUUID} from 'node:crypto'

import type {EndpointId} from '../../api/endpoints.js'
import type {Webhook} from '../../api/types.js'
import {type SandboxDelivery, parseSandboxDelivery} from '../delivery-settings.js'
import {companyKey, newKeyPair} from '../delivery.js'
import {badRequest} from '../errors.js'
import {type WebhookRecord, now} from '../store.js'
import {type Handlers, created, find, noContent, ok, page} from './common.js'

type WebhookEndpoint = Extract<EndpointId, `webhooks.${string}`> | 'public_key.retrieve'

/** A webhook body's sandbox-only `sandbox_delivery`, checked (400 with the fields at fault). */
function sandboxDelivery(body: Record<string, unknown>): SandboxDelivery | undefined {
  const {settings, errors} = parseSandboxDelivery(body.sandbox_delivery)
  if (errors) throw badRequest(errors)
  return settings
}

function publicWebhook(webhook: WebhookRecord): Webhook {
  const {private_key: _private, ...visible} = webhook
  return visible
}

export const webhookHandlers: Handlers<WebhookEndpoint> = {
  async 'webhooks.create'(context, {body}) {
    const delivery = sandboxDelivery(body)
    const keys = await newKeyPair()
    const webhook: WebhookRecord = {
      id: `wh-${randomUUID()}`,
      title: (body.title as string | undefined) ?? '',
      callback: body.callback as string,
      events: (body.events as Webhook['events'] | undefined) ?? [],
      all_events: Boolean(body.all_events),
      created_on: now(context.account),
      ...keys,
      ...(delivery ? {sandbox_delivery: delivery} : {}),
    }
    context.account.webhooks[webhook.id] = webhook
    context.store.changed()
    return created(publicWebhook(webhook))
  },
  'webhooks.list': (context, request) => page(context, request, '/webhooks/', Object.values(context.account.webhooks).map(publicWebhook)),
  'webhooks.retrieve': (context, request) => ok(publicWebhook(find(context.account.webhooks, request.params.id))),
  'webhooks.update'(context, {params, body}) {
    const webhook = find(context.account.webhooks, params.id)
    const delivery = sandboxDelivery(body)
    Object.assign(webhook, {
      callback: body.callback,
      title: (body.title as string | undefined) ?? '',
      events: (body.events as Webhook['events'] | undefined) ?? [],
      all_events: Boolean(body.all_events),
      sandbox_delivery: delivery,
    })
    context.store.changed()
    return ok(publicWebhook(webhook))
  },
  'webhooks.partial_update'(context, {params, body}) {
    const webhook = find(context.account.webhooks, params.id)
    const delivery = sandboxDelivery(body)
    for (const field of ['callback', 'title', 'events', 'all_events'] as const)
      if (body[field] !== undefined) Object.assign(webhook, {[field]: body[field]})
    if (delivery) webhook.sandbox_delivery = delivery
    context.store.changed()
    return ok(publicWebhook(webhook))
  },
  'webhooks.delete'(context, {params}) {
    find(context.account.webhooks, params.id)
    delete context.account.webhooks[params.id]
    context.store.changed()
    return noContent
  },
  'webhooks.deliveries'(context, request) {
    const id = request.query.get('id')
    const sourceType = request.query.get('source_type')
    const deliveries = context.account.deliveries.filter((delivery) => delivery.source_id === id && delivery.source_type === sourceType)
    return page(context, request, '/webhooks/deliveries/', deliveries)
  },
  'public_key.retrieve': async (context) => ok({public_key: (await companyKey(context.account)).public_key}),
}
