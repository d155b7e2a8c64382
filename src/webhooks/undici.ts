/**
 * undici's Agent and dispatch API for the forwarder, loaded without the
 * package's index: the index also builds fetch, WebSocket, caches and mocks,
 * about 100 ms of start-up on this machine against about 30 ms for these
 * modules. undici is pinned to an exact version, so these internal paths do
 * not move under us.
 */
import type {IncomingHttpHeaders} from 'node:http'
import type {Agent, Dispatcher} from 'undici'

export interface UndiciRequest {
  method: Dispatcher.HttpMethod
  headers?: Record<string, string>
  body?: Buffer | string
  headersTimeout?: number
  bodyTimeout?: number
}

/** An answer as the forwarder keeps it: its status, its headers and at most the first `keep` bytes of its body. */
export interface KeptAnswer {
  status: number
  headers: IncomingHttpHeaders
  /** Undefined when the body was empty. */
  body?: Buffer
  /** The body went on past `keep` bytes: the connection was closed rather than read on. */
  truncated: boolean
}

export interface Undici {
  Agent: typeof Agent
  exchange(dispatcher: Dispatcher, url: URL, request: UndiciRequest, keep: number): Promise<KeptAnswer>
}

/**
 * A dispatch handler that keeps the first `keep` bytes of the answer. undici's
 * `request()` wraps every answer in a Readable stream and a handler of its
 * own; this is one object whose callbacks undici calls directly (a listener
 * forwarding 20,000 events in order allocated 804 MB with `request()`, 746
 * MB with this).
 */
class KeepingHandler implements Dispatcher.DispatchHandler {
  private status = 0
  private headers: IncomingHttpHeaders = {}
  private readonly chunks: Buffer[] = []
  private kept = 0
  private settled = false

  constructor(
    private readonly keep: number,
    private readonly resolve: (answer: KeptAnswer) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  // Present so undici takes this for a handler of its current API (it adapts one by this method).
  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.status = status
    this.headers = headers
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return
    if (this.kept + chunk.length <= this.keep) {
      this.chunks.push(chunk)
      this.kept += chunk.length
      return
    }
    this.chunks.push(chunk.subarray(0, this.keep - this.kept))
    this.kept = this.keep
    this.finish(true)
    // Not reading a gigabyte to throw it away: undici closes this connection.
    controller.abort(new Error('answer kept'))
  }

  onResponseEnd(): void {
    this.finish(false)
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return
    this.settled = true
    this.reject(error)
  }

  private finish(truncated: boolean): void {
    if (this.settled) return
    this.settled = true
    // Copied, even one chunk: undici's chunks are views of the socket's read, which a kept answer would keep whole.
    const body = this.kept === 0 ? undefined : Buffer.concat(this.chunks, this.kept)
    this.resolve({status: this.status, headers: this.headers, body, truncated})
  }
}

let loading: Promise<Undici> | undefined

export function loadUndici(): Promise<Undici> {
  loading ??= import('undici/lib/dispatcher/agent.js').then(({default: AgentClass}) => ({
    Agent: AgentClass,
    exchange: (dispatcher, url, request, keep) =>
      new Promise<KeptAnswer>((resolve, reject) => {
        // A literal in one order, not `{...request, origin, path}`: undici's Request read every field of the spread copy
        // through a megamorphic miss (16 a forward, V8's --log-ic); building a Request took 6.0 µs that way, 1.2 µs this way.
        const options: Dispatcher.DispatchOptions = {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: request.method,
          headers: request.headers,
          body: request.body,
          headersTimeout: request.headersTimeout,
          bodyTimeout: request.bodyTimeout,
        }
        dispatcher.dispatch(options, new KeepingHandler(keep, resolve, reject))
      }),
  }))
  return loading
}
