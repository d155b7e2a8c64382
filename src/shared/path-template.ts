/**
 * Path templates with `{placeholders}` (`/purchases/{id}/`,
 * `/v1/channels/{channel}/tokens/{token}`), the one reading of them: the
 * endpoint table's paths (api/paths.ts), the sandbox's router and the relay's
 * routes all fill and match through here.
 */

/** A template's placeholders, as a union of their names. */
export type Placeholders<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never

/** The `{placeholders}` of a template, in order. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1])
}

/** The template with each placeholder's value, URL-encoded as one path segment (values are checked by the caller). */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replaceAll(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name]))
}

/** A segment decoded; a malformed escape (`%E0%A4%A`) decodes to '' (which names nothing). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return ''
  }
}

/** The values a path gives a template's placeholders, or undefined when the path is not one of the template's. */
export function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const parts = template.split('/').filter(Boolean)
  const segments = path.split('/').filter(Boolean)
  if (parts.length !== segments.length) return undefined
  const values: Record<string, string> = {}
  for (const [index, part] of parts.entries()) {
    const name = /^\{(\w+)\}$/.exec(part)?.[1]
    if (name) values[name] = decodeSegment(segments[index])
    else if (part !== segments[index]) return undefined
  }
  return values
}

export type RouteFound<R> =
  | {kind: 'route'; route: R; params: Record<string, string>}
  /** The path is a route's, the method none of them: 405 with these methods in Allow. */
  | {kind: 'method'; route: R; params: Record<string, string>; allow: string[]}
  | {kind: 'none'}

/**
 * The route of `method path` among routes with a method and a template. A
 * fixed segment wins over a placeholder (`/webhooks/deliveries/` before
 * `/webhooks/{id}/`): routes with fewer placeholders are tried first.
 */
export function findRoute<R extends {readonly method: string; readonly path: string}>(
  routes: readonly R[],
  method: string | undefined,
  path: string,
): RouteFound<R> {
  const matching = routes
    .map((route) => ({route, params: matchTemplate(route.path, path)}))
    .filter((candidate): candidate is {route: R; params: Record<string, string>} => candidate.params !== undefined)
    .sort((a, b) => placeholders(a.route.path).length - placeholders(b.route.path).length)
  if (matching.length === 0) return {kind: 'none'}
  const found = matching.find(({route}) => route.method === method)
  if (found) return {kind: 'route', ...found}
  return {kind: 'method', ...matching[0], allow: [...new Set(matching.map(({route}) => route.method))]}
}
