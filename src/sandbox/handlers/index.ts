/**
 * One handler per documented endpoint, keyed by the endpoint ids of
 * src/api/endpoints.ts, one module per resource. Each module is typed by its
 * group of ids and this table by all of them, so an endpoint without a
 * handler fails tsc.
 */
import type {EndpointId} from '../../api/endpoints.js'
import {clientHandlers} from './clients.js'
import type {Handler, SandboxSettings} from './common.js'
import {purchaseHandlers} from './purchases.js'
import {statementHandlers} from './statements.js'
import {templateHandlers} from './templates.js'
import {webhookHandlers} from './webhooks.js'

export type {Handler, HandlerRequest, HandlerResponse, SandboxSettings} from './common.js'

export function createHandlers(settings: SandboxSettings): Record<EndpointId, Handler> {
  return {...purchaseHandlers, ...templateHandlers, ...clientHandlers, ...statementHandlers(settings), ...webhookHandlers}
}
