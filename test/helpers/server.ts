/** A real HTTP server on 127.0.0.1:0 that records every request and answers with a test's handler. */
import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'
import {type AddressInfo, type Socket, connect as netConnect, createServer as createNetServer} from 'node:net'

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
  at: number
}

export type Handler = (request: RecordedRequest, response: ServerResponse, index: number) => void | Promise<void>

export interface TestServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  /** `http://127.0.0.1:PORT/api/v1` */
  apiBase: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, {'content-type': 'application/json', ...headers})
  response.end(JSON.stringify(body))
}

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      }
      requests.push(recorded)
      Promise.resolve(handler(recorded, res, requests.length - 1)).catch((error: unknown) => {
        res.statusCode = 599
        res.end(String(error))
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  return {
    origin,
    apiBase: `${origin}/api/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A loopback port free a moment ago (for a process that must be told its port: redis-server, examples/ci.sh's app). */
export async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A test proxy's answer to CONNECT: 200, then the client piped both ways to 127.0.0.1:`port` (whatever host was asked for: nothing leaves this machine). */
export function tunnelTo(client: Socket, port: number, sockets: Set<Socket>): void {
  const upstream = netConnect(port, '127.0.0.1', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    upstream.pipe(client)
    client.pipe(upstream)
  })
  sockets.add(upstream)
  const end = () => {
    upstream.destroy()
    client.destroy()
  }
  upstream.on('error', end)
  client.on('error', end)
}
