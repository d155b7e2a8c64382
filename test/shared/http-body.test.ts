/**
 * A request refused before its body is read (413, a stranger's 404) must still
 * get its answer: the sender is let finish writing (the rest read and thrown
 * away) rather than reset, which made its kernel drop the answer unread
 * (`fetch failed`, ECONNRESET, where 413 was due). What it may still write is
 * bounded: past 8 MiB the connection is cut.
 */
import {once} from 'node:events'
import {connect} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Relay, startRelay} from '../../src/relay/server.js'
import {EmbeddedStore} from '../../src/relay/embedded-store.js'
import {HttpReceiver} from '../../src/webhooks/receiver.js'
import {tempDir} from '../helpers/cli.js'
import {until} from '../helpers/wait.js'

/** Writes a request with a body of `size` bytes without reading anything, then waits (5 s at most) for its answer's status; a reset says so. */
async function postRaw(port: number, path: string, size: number): Promise<{status?: number; error?: string}> {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  let text = ''
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
  let error: string | undefined
  socket.on('error', (failure: NodeJS.ErrnoException) => (error ??= failure.code))
  socket.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`)
  await new Promise((resolve) => socket.write(Buffer.alloc(size, 32), resolve))
  // Whatever came within 5 s is the result: an answer, a reset, or neither.
  await until(() => /\r\n\r\n/.test(text) || error !== undefined || socket.destroyed, 'an answer or a reset', 5000).catch(() => {})
  socket.destroy()
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]
  return {status: status === undefined ? undefined : Number(status), error}
}

describe('a refused body is let finish', () => {
  let receiver: HttpReceiver
  let relay: Relay
  let ingress = ''
  beforeAll(async () => {
    receiver = new HttpReceiver({host: '127.0.0.1', ports: [0], maxBodyBytes: 1024 * 1024})
    await receiver.start({receive: async () => ({status: 200, body: {}}), refused: () => {}})
    const store = await EmbeddedStore.open(tempDir('ummah-relay-'))
    relay = await startRelay({
      host: '127.0.0.1',
      port: 0,
      store,
      adminToken: 'admin-token-for-body-tests-0123',
      retentionMs: 3_600_000,
      maxBodyBytes: 1024 * 1024,
    })
    const created = await fetch(`${relay.url}/v1/channels`, {
      method: 'POST',
      headers: {authorization: 'Bearer admin-token-for-body-tests-0123', 'content-type': 'application/json'},
      body: '{"name":"bodies"}',
    })
    ingress = new URL(((await created.json()) as {ingress_url: string}).ingress_url).pathname
  })
  afterAll(async () => {
    await receiver.close()
    await relay.close()
  })

  it('answers 413 (listen, relay) and 404 (a wrong ingress secret) to a sender that writes its 6 MiB before reading, every time', async () => {
    const relayPort = Number(new URL(relay.url).port)
    for (let attempt = 0; attempt < 10; attempt++) {
      expect(await postRaw(receiver.port, '/', 6 * 1024 * 1024), `listen, attempt ${attempt}`).toEqual({status: 413, error: undefined})
      expect(await postRaw(relayPort, ingress, 6 * 1024 * 1024), `relay, attempt ${attempt}`).toEqual({status: 413, error: undefined})
      const stranger = ingress.replace(/[0-9a-f]{32}$/, '0'.repeat(32))
      expect(await postRaw(relayPort, stranger, 6 * 1024 * 1024), `stranger, attempt ${attempt}`).toEqual({status: 404, error: undefined})
    }
  })

  it('cuts a sender that goes on past 8 MiB', async () => {
    const result = await postRaw(receiver.port, '/', 64 * 1024 * 1024)
    expect(result.error).toMatch(/ECONNRESET|EPIPE/)
  })
})
