/** The pieces of a `webhooks listen` end-to-end test: the developer's app, a spawned listener reading its NDJSON, and a bounded wait. */
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {createVerify} from 'node:crypto'
import {type IncomingHttpHeaders, type Server, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {ROOT, runCli, track} from '../helpers/cli.js'

export interface Received {
  id: string
  type: string
  raw: Buffer
  signature: string
  headers: IncomingHttpHeaders
  verified: boolean
}

/** The developer's app: verifies each delivery with the key listen printed, like examples/webhook-app.mjs. */
export class App {
  received: Received[] = []
  publicKey = ''
  /** What the app answers a verified delivery: its body, with an `x-app` header. */
  answer = ''
  private server?: Server
  port = 0

  async start(port = 0): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const raw = Buffer.concat(chunks)
        const signature = String(request.headers['x-signature'] ?? '')
        // Without a key (partner schemes) the app only records what arrived.
        const verified = this.publicKey ? createVerify('sha256').update(raw).verify(this.publicKey, Buffer.from(signature, 'base64')) : false
        const event = JSON.parse(raw.toString('utf8')) as {id: string; type: string}
        this.received.push({id: event.id, type: event.type, raw, signature, headers: request.headers, verified})
        response.writeHead(verified || !this.publicKey ? 200 : 403, {'x-app': 'test-app'}).end(this.answer)
      })
    })
    // A port given is the app's own, back after an outage; meanwhile a test running beside this one may have bound
    // it (port 0) for a moment: tried again until free (5 s), then a failure that says so, never a hang.
    const bind = () =>
      new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        this.server!.once('error', resolve)
        this.server!.listen(port, '127.0.0.1', () => {
          this.server!.off('error', resolve)
          resolve(undefined)
        })
      })
    let failure = await bind()
    if (failure?.code === 'EADDRINUSE' && port !== 0)
      await until(async () => (failure = await bind())?.code !== 'EADDRINUSE', `port ${port} to be free for the app again`, 5000)
    if (failure) throw failure
    this.port = (this.server.address() as AddressInfo).port
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve())
      this.server?.closeAllConnections()
    })
  }
}

/** A running `webhooks listen --format json`, its NDJSON lines collected. */
export class Listener {
  lines: Array<Record<string, any>> = []

  readonly child: ChildProcessWithoutNullStreams
  stderr = ''
  readonly exited: Promise<number | null>

  /** `exec`: a command prefix the listener runs under (a namespace: `unshare --mount sh -c '… exec "$0" "$@"'`). */
  constructor(args: string[], env: Record<string, string>, exec: string[] = []) {
    const command = [...exec, process.execPath, join(ROOT, 'bin', 'run.js'), 'webhooks', 'listen', '--format', 'json', ...args]
    this.child = track(spawn(command[0], command.slice(1), {env: {...process.env, ...env}}))
    let buffer = ''
    this.child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      let newline: number
      while ((newline = buffer.indexOf('\n')) !== -1) {
        this.lines.push(JSON.parse(buffer.slice(0, newline)))
        buffer = buffer.slice(newline + 1)
      }
    })
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString()
      process.stderr.write(`[listen] ${chunk}`)
    })
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)))
  }

  async ready(): Promise<Record<string, any>> {
    return until(() => this.lines.find((line) => line.type === 'ready'), 'listen to be ready')
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.child.kill(signal)
    return this.exited
  }
}

import {until} from '../helpers/wait.js'

/**
 * The profile's listener webhook key before its app exists, the documented
 * way: a listener runs once (it makes the webhook), then
 * `--print-public-key` reads it.
 */
export async function listenerKey(env: Record<string, string>): Promise<string> {
  const listener = new Listener(['--forward', '127.0.0.1:9/not-yet'], env)
  await listener.ready()
  await listener.stop()
  const printed = await runCli(['webhooks', 'listen', '--print-public-key'], {env})
  if (printed.code !== 0) throw new Error(`--print-public-key: ${printed.stderr}`)
  return printed.stdout
}

export {until}

/** Creates purchases through the API with this key: the gateway sends one purchase.created each. */
export async function createPurchases(apiBase: string, key: string, count: number): Promise<void> {
  for (let made = 0; made < count; made++) {
    const response = await fetch(`${apiBase}/purchases/`, {
      method: 'POST',
      headers: {authorization: `Bearer ${key}`, 'content-type': 'application/json'},
      body: JSON.stringify({
        brand_id: '409eb80e-3782-4b1d-afa8-b779759266a5',
        client: {email: 'listener@example.com'},
        purchase: {products: [{name: 'X', price: 100}], currency: 'USD'},
      }),
    })
    if (response.status !== 201) throw new Error(`POST /purchases/ answered ${response.status}`)
  }
}
