/**
 * undici's Agent and request API for the webhook relay, loaded without the
 * package's index: the index also builds fetch, WebSocket, caches and mocks,
 * about 100 ms of start-up on this machine against about 30 ms for these two
 * modules. undici is pinned to an exact version, so these internal paths do
 * not move under us.
 */
import type {Agent, Dispatcher} from 'undici'

export interface UndiciRequest {
  method: Dispatcher.HttpMethod
  headers?: Record<string, string>
  body?: Buffer | string
  headersTimeout?: number
  bodyTimeout?: number
}

export interface Undici {
  Agent: typeof Agent
  request(dispatcher: Dispatcher, url: URL, request: UndiciRequest): Promise<Dispatcher.ResponseData>
}

let loading: Promise<Undici> | undefined

export function loadUndici(): Promise<Undici> {
  loading ??= Promise.all([import('undici/lib/dispatcher/agent.js'), import('undici/lib/api/index.js')]).then(
    ([{default: AgentClass}, {default: api}]) => ({
      Agent: AgentClass,
      request: (dispatcher, url, request) => api.request.call(dispatcher, {...request, origin: url.origin, path: `${url.pathname}${url.search}`}),
    }),
  )
  return loading
}
