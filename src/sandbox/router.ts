/**
 * The sandbox's API routes, read from the endpoint table: a request's
 * endpoint and path values, or the documented 404 and 405.
 */
import {type Endpoint, endpoints} from '../api/endpoints.js'
import {pathProblems} from '../api/paths.js'
import {findRoute} from '../shared/path-template.js'
import {SandboxError, notFound} from './errors.js'

export class ApiRouter {
  constructor(private readonly prefix: string) {}

  /** The endpoint `method path` names (the path under the API prefix, with its trailing slash) and its path values. */
  route(method: string | undefined, path: string): {endpoint: Endpoint; params: Record<string, string>} {
    const found = findRoute(endpoints, method, path)
    if (found.kind === 'none') throw new SandboxError(404, {error: 'Not Found', detail: `No endpoint at ${this.prefix}${path}`})
    if (found.kind === 'method') {
      throw new SandboxError(405, {error: 'Method Not Allowed', detail: `Method "${method}" not allowed. Allowed: ${found.allow.join(', ')}.`})
    }
    // An id that cannot be one (`..`, `a/b` encoded, malformed escapes) names nothing here.
    if (Object.keys(pathProblems(found.route, found.params)).length > 0) throw notFound()
    return {endpoint: found.route, params: found.params}
  }
}
