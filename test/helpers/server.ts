/** A real HTTP server on 127.0.0.1:0 that records every request and answers with a test's handler. */
import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'
import {readFileSync} from 'node:fs'
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

/**
 * The first port of the kernel's ephemeral range, from which `listen(0)` picks (Linux: 32768 by default; 49152 elsewhere).
 */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    if (Number.isInteger(low) && low > 2048) return low
  } catch {
    // Not Linux.
  }
  return 49_152
}

/**
 * A loopback port that is free, for what must be told its port (redis-server,
 * examples/ci.sh's app) or is down for a while (an app that refuses, then
 * comes back on the same port). Picked below the ephemeral range: a port
 * handed out by `listen(0)` and closed went back to that range, where another
 * test file's `listen(0)` running alongside could be given it and answer in
 * its place (a "down" app answered 200 once in a CI run).
 */
export async function freePort(): Promise<number> {
  const high = ephemeralStart() - 1
  const low = Math.max(1024, high - 12_000)
  // Bounded: 100 tries; a taken port is tried no further.
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1))
    const server = createNetServer()
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => resolve(true))
    })
    if (!bound) continue
    await new Promise((resolve) => server.close(resolve))
    return port
  }
  throw new Error(`No free port between ${low} and ${high} in 100 tries`)
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
