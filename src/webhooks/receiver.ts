/**
 * The local HTTP receiver, the listener's first EventSource: a server the
 * gateway delivers to. It owns only HTTP: POST only (405), the body size
 * (413), the oauth2 token endpoint a partner scheme needs; each delivery goes
 * to the pipeline's Intake and its Answer goes back to the sender.
 */
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {discardUnread, readBody} from '../shared/http-body.js'
import type {Answer, EventSource, Intake} from './pipeline.js'

export interface ReceiverOptions {
  host: string
  /** Ports to try in order (the last run's first, then 0 for any free one). */
  ports: number[]
  maxBodyBytes: number
  /** Answers `POST …/oauth/token` for the oauth2 scheme, where this listener issues the bearers it checks. */
  tokenEndpoint?: (authorization: string | undefined, form: string) => {status: number; body: Record<string, unknown>}
}

export class HttpReceiver implements EventSource {
  private server?: Server
  port = 0

  constructor(private readonly options: ReceiverOptions) {}

  async start(intake: Intake): Promise<{url: string}> {
    const server = createServer((request, response) => {
      this.handle(intake, request, response).catch((error: Error) => {
        if (!response.headersSent) reply(response, {status: 500, body: {error: error.message}})
      })
    })
    this.server = server
    this.port = await listenOnFirst(server, this.options.host, this.options.ports)
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host
    return {url: `http://${host}:${this.port}/`}
  }

  /** Stops accepting; resolves when open requests have finished. */
  close(): Promise<void> {
    const {server} = this
    if (!server) return Promise.resolve()
    return new Promise((resolve) => {
      server.close(() => resolve())
      server.closeIdleConnections()
    })
  }

  private async handle(intake: Intake, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') {
      reply(response, {status: 405, headers: {allow: 'POST'}, body: {error: 'Method Not Allowed'}})
      return
    }
    const body = await readBody(request, this.options.maxBodyBytes)
    if (!body) {
      intake.refused(413, `body over ${this.options.maxBodyBytes} bytes`)
      reply(response, {status: 413, body: {error: 'Payload Too Large'}})
      discardUnread(request)
      return
    }
    const {tokenEndpoint} = this.options
    if (tokenEndpoint && (request.url ?? '').split('?')[0].endsWith('/oauth/token')) {
      reply(response, tokenEndpoint(request.headers.authorization, body.toString('utf8')))
      return
    }
    reply(response, await intake.receive({headers: request.headers, body}))
  }
}

async function listenOnFirst(server: Server, host: string, ports: number[]): Promise<number> {
  for (const [index, port] of ports.entries()) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      return (server.address() as AddressInfo).port
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || index === ports.length - 1) throw error
    }
  }
  throw new Error('no port to listen on')
}

function reply(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, {'content-type': 'application/json', ...answer.headers})
  response.end(JSON.stringify(answer.body))
}
