/**
 * The sandbox's API routes, read from the endpoint table: a request's
 * endpoint and path values, or the documented 404 and 405.
 */
import {type Endpoint, endpoints} from '../api/endpoints.js'
import {pathProblems} from '../api/paths.js'
import {SandboxError, notFound} from './errors.js'

interface Route {
  endpoint: Endpoint
  pattern: RegExp
  names: string[]
}

/** A path segment decoded; a malformed escape (`%E0%A4%A`) decodes to '' (no object has an empty id). */
function decodePathValue(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return ''
  }
}

export class ApiRouter {
  private readonly routes: Route[] = endpoints
    .map((endpoint) => {
      const names: string[] = []
      const source = endpoint.path.replaceAll(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name)
        return '([^/]+)'
      })
      return {endpoint, pattern: new RegExp(`^${source}$`), names}
    })
    // Fixed paths first: `/webhooks/deliveries/` before `/webhooks/{id}/`.
    .sort((a, b) => a.names.length - b.names.length)

  constructor(private readonly prefix: string) {}

  /** The endpoint `method path` names (the path under the API prefix, with its trailing slash) and its path values. */
  route(method: string | undefined, path: string): {endpoint: Endpoint; params: Record<string, string>} {
    const matches = this.routes.map((route) => ({route, match: route.pattern.exec(path)})).filter(({match}) => match)
    if (matches.length === 0) throw new SandboxError(404, {error: 'Not Found', detail: `No endpoint at ${this.prefix}${path}`})
    const found = matches.find(({route}) => route.endpoint.method === method)
    if (!found) {
      const allowed = [...new Set(matches.map(({route}) => route.endpoint.method))].join(', ')
      throw new SandboxError(405, {error: 'Method Not Allowed', detail: `Method "${method}" not allowed. Allowed: ${allowed}.`})
    }
    const {endpoint, names} = found.route
    const params = Object.fromEntries(names.map((name, index) => [name, decodePathValue(found.match![index + 1])]))
    // An id that cannot be one (`..`, `a/b` encoded, malformed escapes) names nothing here.
    if (Object.keys(pathProblems(endpoint, params)).length > 0) throw notFound()
    return {endpoint, params}
  }
}
