/**
 * undici's Agent and request API, loaded without the package's index: the
 * index also builds fetch, WebSocket, caches and mocks, about 100 ms of
 * start-up on this machine against about 30 ms for these two modules. undici
 * is pinned to an exact version, so these internal paths do not move under us.
 */
import type {Agent, Dispatcher} from 'undici'

export interface HttpRequest {
  method: Dispatcher.HttpMethod
  headers?: Record<string, string>
  body?: Buffer | string
  signal?: AbortSignal
  headersTimeout?: number
  bodyTimeout?: number
}

export interface Http {
  Agent: typeof Agent
  request(dispatcher: Dispatcher, url: URL, request: HttpRequest): Promise<Dispatcher.ResponseData>
}

let loading: Promise<Http> | undefined

export function loadHttp(): Promise<Http> {
  loading ??= Promise.all([import('undici/lib/dispatcher/agent.js'), import('undici/lib/api/index.js')]).then(([{default: AgentClass}, {default: api}]) => ({
    Agent: AgentClass,
    request: (dispatcher, url, request) => api.request.call(dispatcher, {...request, origin: url.origin, path: `${url.pathname}${url.search}`}),
  }))
  return loading
}
