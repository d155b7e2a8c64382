/**
 * The relay's HTTP routes, declared once: the server dispatches on them
 * (server.ts holds one handler per route, so a route without one fails tsc)
 * and the clients build their paths from them (admin-client.ts, the
 * listener's stream in webhooks/relay-source.ts); templates are read by
 * shared/path-template.ts.
 *
 *   GET    /healthz                                  200 once ready, 503 while the store does not answer
 *   POST   /in/CHANNEL/SECRET                        ingress (404 for a wrong channel or secret, 413 over --max-body)
 *   GET    /v1/channels                              admin
 *   POST   /v1/channels {"name"}                     admin: 201 with the ingress URL and a first client token
 *   GET    /v1/channels/CHANNEL                      admin, or that channel's token
 *   DELETE /v1/channels/CHANNEL                      admin
 *   POST   /v1/channels/CHANNEL/tokens               admin: 201 with the token (shown once)
 *   DELETE /v1/channels/CHANNEL/tokens/ID            admin: its streams close
 *   GET    /v1/channels/CHANNEL/stream?after=CURSOR  WebSocket (protocol.ts), admin or that channel's token
 */

import {type Placeholders, fillTemplate, findRoute} from '../shared/path-template.js'

/**
 * Who may call a route: anyone; whoever knows the channel's ingress secret
 * (checked before the method, so a stranger learns nothing); the admin
 * token; the admin token or a token of the channel named in the path.
 */
export type RouteAccess = 'admin' | 'channel' | 'public' | 'secret'

interface RouteSpec {
  readonly method: 'DELETE' | 'GET' | 'POST'
  readonly path: string
  readonly access: RouteAccess
  /** Answered by upgrading to a WebSocket, not by a response. */
  readonly upgrade?: true
}

export const RELAY_ROUTES = {
  health: {method: 'GET', path: '/healthz', access: 'public'},
  ingress: {method: 'POST', path: '/in/{channel}/{secret}', access: 'secret'},
  listChannels: {method: 'GET', path: '/v1/channels', access: 'admin'},
  createChannel: {method: 'POST', path: '/v1/channels', access: 'admin'},
  getChannel: {method: 'GET', path: '/v1/channels/{channel}', access: 'channel'},
  deleteChannel: {method: 'DELETE', path: '/v1/channels/{channel}', access: 'admin'},
  createToken: {method: 'POST', path: '/v1/channels/{channel}/tokens', access: 'admin'},
  revokeToken: {method: 'DELETE', path: '/v1/channels/{channel}/tokens/{token}', access: 'admin'},
  stream: {method: 'GET', path: '/v1/channels/{channel}/stream', access: 'channel', upgrade: true},
} as const satisfies Record<string, RouteSpec>

export type RouteName = keyof typeof RELAY_ROUTES

/** The values route `Name`'s path needs: `{channel}` for `/v1/channels/{channel}`. */
export type RouteParams<Name extends RouteName> = {[P in Placeholders<(typeof RELAY_ROUTES)[Name]['path']>]: string}

const ROUTES = (Object.keys(RELAY_ROUTES) as RouteName[]).map((name) => ({name, ...RELAY_ROUTES[name]}))

/** Route `name`'s path with its values, each encoded as one path segment. */
export function routePath<Name extends RouteName>(name: Name, params: RouteParams<Name>): string {
  return fillTemplate(RELAY_ROUTES[name].path, params)
}

export type RouteMatch =
  | {kind: 'route'; name: RouteName; params: Record<string, string>}
  /** The path is a route's, the method none of them: 405 with these methods in Allow. */
  | {kind: 'method'; name: RouteName; params: Record<string, string>; allow: string[]}
  | {kind: 'none'}

/** The route a request's method and path (without the query) name. */
export function matchRoute(method: string, path: string): RouteMatch {
  const found = findRoute(ROUTES, method, path)
  if (found.kind === 'none') return found
  // Built, not spread from `found`: a spread copy's fields were read through megamorphic misses (V8's --log-ic), 3 a request.
  const {route, params} = found
  return found.kind === 'route' ? {kind: 'route', name: route.name, params} : {kind: 'method', name: route.name, params, allow: found.allow}
}

type RoutesWhere<Condition> = {[Name in RouteName]: (typeof RELAY_ROUTES)[Name] extends Condition ? Name : never}[RouteName]

/** The channel-management routes (admin.ts answers them). */
export type AdminRouteName = Exclude<RoutesWhere<{access: 'admin' | 'channel'}>, RoutesWhere<{upgrade: true}>>
