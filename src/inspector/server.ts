/**
 * The inspector `webhooks listen` serves on loopback: one page (page.ts),
 * a JSON API over the listener's spool, server-sent events for the live list,
 * and two actions (replay; edit and replay, signed, on the sandbox).
 *
 * Safe by design: bound to 127.0.0.1 only; a request whose Host is not this
 * server's own loopback address (DNS rebinding) or whose Origin is another
 * site is refused with 403; every /api/ request needs the per-run token that
 * is in the printed URL (a page of another site cannot read it); the page
 * renders every value as text under a Content-Security-Policy that runs no
 * script but its own. Costs nothing while nobody looks: no client, no work.
 */
import {randomBytes, timingSafeEqual} from 'node:crypto'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {type UmmahError, UsageError} from '../shared/errors.js'
import {readBody} from '../shared/http-body.js'
import type {Inspection, ListenLine} from '../webhooks/listen.js'
import type {SpooledEvent} from '../webhooks/spool.js'
import {type Filters, MAX_PAGE_ROWS, PAGE_ROWS, RefusedLog, detail, listPage, rowOf} from './model.js'
import {PAGE_CSS, PAGE_HTML, PAGE_SCRIPT} from './page.js'

/** The inspector's first port, as ngrok's; the next free one of the following 100 when taken. */
export const INSPECT_PORT = 4040
const PORTS_TRIED = 100
/** An edited event is at most 1 MiB, the listener's own default delivery limit. */
const MAX_EDIT_BYTES = 1_048_576
/** A live-list client that has not read this much is dropped, so a stalled tab costs bounded memory. */
const MAX_CLIENT_BACKLOG = 1_048_576

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
}

export interface InspectorOptions {
  /** The first port tried; `scan`: the next ones too when it is taken (the default 4040), else exactly this one. */
  port: number
  scan: boolean
  /** Edit and replay: the sandbox delivers a payload signed with the webhook's key (undefined: not offered). */
  deliver?: (webhookId: string, payload: string) => Promise<unknown>
  /** Whether the gateway is the sandbox (asked once, when the page first asks). */
  sandbox?: () => Promise<boolean>
}

export class Inspector {
  private readonly server: Server
  private readonly token = randomBytes(24).toString('base64url')
  private readonly clients = new Set<ServerResponse>()
  private readonly refused = new RefusedLog()
  private inspection?: Inspection
  private sandbox?: Promise<boolean>
  private port = 0

  constructor(private readonly options: InspectorOptions) {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: Error) => send(response, 500, {error: error.message}))
    })
  }

  /** Listens on 127.0.0.1; the URL to open, its token in the fragment (never sent in a request line, so never in a log). */
  async start(): Promise<string> {
    const last = this.options.scan && this.options.port !== 0 ? Math.min(65_535, this.options.port + PORTS_TRIED - 1) : this.options.port
    for (let port = this.options.port; port <= last; port++) {
      try {
        await new Promise<void>((resolve, reject) => {
          this.server.once('error', reject)
          this.server.listen({port, host: '127.0.0.1', exclusive: true}, () => {
            this.server.off('error', reject)
            resolve()
          })
        })
        this.port = (this.server.address() as AddressInfo).port
        return this.url()
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
        if (port === last)
          throw new UsageError(
            this.options.scan ? `Ports ${this.options.port} to ${last} are all in use` : `Port ${port} is already in use`,
            'Pick a free one with --inspect-port, or run without the inspector: --no-inspect.',
          )
      }
    }
    throw new Error('unreachable: the loop returns or throws')
  }

  url(): string {
    return `http://127.0.0.1:${this.port}/#token=${this.token}`
  }

  /** The listener, once it runs: until then the API answers 503. */
  attach(inspection: Inspection): void {
    this.inspection = inspection
  }

  /** A line the listener printed: the live list learns of it (only when someone is looking). */
  notice(line: ListenLine): void {
    if (line.type === 'error' && line.stage === 'receive') {
      const row = this.refused.add({status: line.status, reason: line.error, type: line.event_type, id: line.id})
      this.push(row)
      return
    }
    if (this.clients.size === 0 || !this.inspection) return
    if ((line.type === 'event' && !line.duplicate) || line.type === 'response' || line.type === 'retry' || (line.type === 'error' && line.id)) {
      const event = this.inspection.spool.find(line.id!)
      if (event) this.push(rowOf(this.inspection, event))
    }
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.end()
    this.clients.clear()
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  private push(row: unknown): void {
    const data = `data: ${JSON.stringify(row)}\n\n`
    for (const client of this.clients) {
      if (client.writableLength > MAX_CLIENT_BACKLOG) {
        client.destroy()
        this.clients.delete(client)
      } else client.write(data)
    }
  }

  /** The Host is this server's own loopback name (not a rebinding name pointing here), and any Origin is this page's. */
  private trusted(request: IncomingMessage): boolean {
    const own = [`127.0.0.1:${this.port}`, `localhost:${this.port}`]
    if (!own.includes(request.headers.host ?? '')) return false
    const {origin} = request.headers
    if (origin !== undefined && !own.some((host) => origin === `http://${host}`)) return false
    return request.headers['sec-fetch-site'] === undefined || ['same-origin', 'none'].includes(request.headers['sec-fetch-site'] as string)
  }

  private tokenOk(given: string | null | undefined): boolean {
    if (!given) return false
    const [a, b] = [Buffer.from(given), Buffer.from(this.token)]
    return a.length === b.length && timingSafeEqual(a, b)
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!this.trusted(request)) return send(response, 403, {error: 'forbidden: not this inspector’s own address or page'})
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${this.port}`)
    const path = url.pathname
    if (request.method === 'GET' && path === '/') return sendText(response, 200, 'text/html; charset=utf-8', PAGE_HTML)
    if (request.method === 'GET' && path === '/app.js') return sendText(response, 200, 'text/javascript; charset=utf-8', PAGE_SCRIPT)
    if (request.method === 'GET' && path === '/app.css') return sendText(response, 200, 'text/css; charset=utf-8', PAGE_CSS)
    if (!path.startsWith('/api/')) return send(response, 404, {error: 'not found'})
    const given = request.headers['x-inspector-token'] ?? url.searchParams.get('token')
    if (!this.tokenOk(Array.isArray(given) ? given[0] : given))
      return send(response, 403, {error: 'forbidden: the token of the URL `webhooks listen` printed is needed'})
    const inspection = this.inspection
    if (!inspection) return send(response, 503, {error: 'the listener is starting'})
    const route = `${request.method} ${path.replace(/^\/api\/events\/-?\d+/, '/api/events/:seq')}`
    switch (route) {
      case 'GET /api/info':
        return send(response, 200, await this.info(inspection))
      case 'GET /api/events': {
        const filters: Filters = {
          type: url.searchParams.get('type') || undefined,
          state: url.searchParams.get('state') || undefined,
          text: url.searchParams.get('q') || undefined,
          since: finite(url.searchParams.get('since')),
        }
        const before = Number(url.searchParams.get('before') ?? Number.NaN)
        const limit = Math.min(MAX_PAGE_ROWS, Math.max(1, Math.trunc(finite(url.searchParams.get('limit')) ?? PAGE_ROWS)))
        const page = listPage(inspection, filters, Number.isSafeInteger(before) ? before : undefined, limit)
        const refused = filters.state === 'refused' || (!filters.state && !filters.type && !filters.text && !url.searchParams.has('before'))
        return send(response, 200, {...page, events: filters.state === 'refused' ? [] : page.events, refused: refused ? this.refused.list() : []})
      }
      case 'GET /api/stream':
        return this.stream(response)
      case 'GET /api/events/:seq': {
        const event = this.event(inspection, path)
        return event ? send(response, 200, detail(inspection, event)) : send(response, 404, {error: 'no such event in the spool'})
      }
      case 'POST /api/events/:seq/replay': {
        const event = this.event(inspection, path)
        if (!event) return send(response, 404, {error: 'no such event in the spool'})
        // A replay prints no listener line: the live list hears of its attempt from here, answered or not.
        return this.act(response, () => inspection.replay(event).finally(() => this.push(rowOf(inspection, event))))
      }
      case 'POST /api/events/:seq/deliver':
        return this.deliver(request, response, inspection)
      default:
        return send(response, 404, {error: 'not found'})
    }
  }

  private event(inspection: Inspection, path: string): SpooledEvent | undefined {
    const seq = Number(/^\/api\/events\/(-?\d+)/.exec(path)?.[1])
    return inspection.spool.all().find((event) => event.seq === seq)
  }

  private async info(inspection: Inspection) {
    this.sandbox ??= this.options.sandbox ? this.options.sandbox().catch(() => false) : Promise.resolve(false)
    const sandbox = await this.sandbox
    const editing = !this.options.deliver
      ? {offered: false, why: 'This listener cannot ask the gateway to sign an event.'}
      : sandbox
        ? {offered: true}
        : {
            offered: false,
            why: "Editing needs the sandbox: only it holds the webhook's signing key. A real gateway signs what it sends itself, so an edited copy could not pass your app's signature check. Replay sends the exact bytes again.",
          }
    return {
      webhook_id: inspection.webhookId,
      events: inspection.events,
      forward: inspection.forward,
      source: inspection.source,
      checked_by: inspection.checkedBy,
      sandbox,
      editing,
    }
  }

  private stream(response: ServerResponse): void {
    response.writeHead(200, {...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive'})
    response.write(': inspector\n\n')
    this.clients.add(response)
    response.on('close', () => this.clients.delete(response))
  }

  private async act(response: ServerResponse, action: () => Promise<unknown>): Promise<void> {
    try {
      send(response, 200, await action())
    } catch (error) {
      const failure = error as UmmahError
      send(response, failure.code === 'forward_failed' ? 502 : 500, {error: failure.message, code: failure.code ?? null})
    }
  }

  private async deliver(request: IncomingMessage, response: ServerResponse, inspection: Inspection): Promise<void> {
    const info = await this.info(inspection)
    if (!info.editing.offered || !this.options.deliver) return send(response, 409, {error: info.editing.why})
    const body = await readBody(request, MAX_EDIT_BYTES)
    if (!body) return send(response, 413, {error: 'the edited event is over 1 MiB'})
    let payload: unknown
    try {
      payload = (JSON.parse(body.toString('utf8')) as {payload?: unknown}).payload
    } catch {
      payload = undefined
    }
    if (typeof payload !== 'string') return send(response, 400, {error: 'send {"payload": "<the edited JSON>"}'})
    try {
      JSON.parse(payload)
    } catch (error) {
      return send(response, 400, {error: `The edited event is not valid JSON: ${(error as Error).message}`})
    }
    const deliver = this.options.deliver
    return this.act(response, () => deliver(inspection.webhookId, payload))
  }
}

/** A query parameter as a finite number, else undefined. */
function finite(text: string | null): number | undefined {
  const value = text === null || text === '' ? Number.NaN : Number(text)
  return Number.isFinite(value) ? value : undefined
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.end()
  response.writeHead(status, {...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8'}).end(JSON.stringify(body))
}

function sendText(response: ServerResponse, status: number, type: string, text: string): void {
  response.writeHead(status, {...SECURITY_HEADERS, 'content-type': type}).end(text)
}
