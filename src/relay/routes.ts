/**
 * The relay's HTTP routes, declared once: the server dispatches on them
 * (server.ts holds one handler per route, so a route without one fails tsc)
 * and the clients build their paths from them (admin-client.ts, the
 * listener's stream in webhooks/relay-source.ts). Data only.
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

type Placeholders<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never

/** The values route `Name`'s path needs: `{channel}` for `/v1/channels/{channel}`. */
export type RouteParams<Name extends RouteName> = {[P in Placeholders<(typeof RELAY_ROUTES)[Name]['path']>]: string}

const ROUTE_NAMES = Object.keys(RELAY_ROUTES) as RouteName[]

/** Route `name`'s path with its values, each encoded as one path segment. */
export function routePath<Name extends RouteName>(name: Name, params: RouteParams<Name>): string {
  const values = params as Record<string, string>
  return RELAY_ROUTES[name].path.replaceAll(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(values[key]))
}

export type RouteMatch =
  | {kind: 'route'; name: RouteName; params: Record<string, string>}
  /** The path is a route's, the method none of them: 405 with these methods in Allow. */
  | {kind: 'method'; name: RouteName; params: Record<string, string>; allow: string[]}
  | {kind: 'none'}

function matchPath(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/').filter(Boolean)
  if (parts.length !== segments.length) return undefined
  const params: Record<string, string> = {}
  for (const [index, part] of parts.entries()) {
    const placeholder = /^\{(\w+)\}$/.exec(part)
    if (placeholder) {
      let value: string
      try {
        value = decodeURIComponent(segments[index])
      } catch {
        return undefined
      }
      params[placeholder[1]] = value
    } else if (part !== segments[index]) return undefined
  }
  return params
}

/** The route a request's method and path (without the query) name. */
export function matchRoute(method: string, path: string): RouteMatch {
  const segments = path.split('/').filter(Boolean)
  let pathMatch: {name: RouteName; params: Record<string, string>} | undefined
  const allow: string[] = []
  for (const name of ROUTE_NAMES) {
    const params = matchPath(RELAY_ROUTES[name].path, segments)
    if (!params) continue
    if (RELAY_ROUTES[name].method === method) return {kind: 'route', name, params}
    pathMatch ??= {name, params}
    allow.push(RELAY_ROUTES[name].method)
  }
  return pathMatch ? {kind: 'method', ...pathMatch, allow} : {kind: 'none'}
}

type RoutesWhere<Condition> = {[Name in RouteName]: (typeof RELAY_ROUTES)[Name] extends Condition ? Name : never}[RouteName]

/** The channel-management routes (admin.ts answers them). */
export type AdminRouteName = Exclude<RoutesWhere<{access: 'admin' | 'channel'}>, RoutesWhere<{upgrade: true}>>
