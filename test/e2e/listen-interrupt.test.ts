/**
 * Ctrl-C on `webhooks listen` never turns the forward it cut short into an
 * outcome: the event stays pending and the next run delivers it first. The
 * first Ctrl-C says at once what it waits for; a second one quits at once.
 * Both exit 130, as the README's exit-code table says (and `sandbox start` too).
 */
import {createVerify} from 'node:crypto'
import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {runCli, tempConfigDir} from '../helpers/cli.js'
import {Listener, until} from './listen-harness.js'

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [60_000], statementDelayMs: 0})
})
afterAll(() => sandbox.close())

/** An app that holds every request open until told to answer (the slow forward), or answers at once. */
async function slowApp() {
  const held: ServerResponse[] = []
  const delivered: string[] = []
  let hold = true
  let publicKey = ''
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const raw = Buffer.concat(chunks)
      if (hold) return held.push(response)
      expect(
        createVerify('sha256')
          .update(raw)
          .verify(publicKey, Buffer.from(String(request.headers['x-signature']), 'base64')),
      ).toBe(true)
      delivered.push((JSON.parse(raw.toString()) as {id: string}).id)
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    held,
    delivered,
    answerAll(key: string) {
      hold = false
      publicKey = key
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function profile() {
  const key = `sk_test_interrupt_${Math.random().toString(36).slice(2, 10)}`
  const env = {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: key, UMMAH_API_BASE: sandbox.apiBase}
  return {env, trigger: () => runCli(['trigger', 'purchase.created'], {env})}
}

/** A listener of a new profile whose one forward the app is holding open: the moment to press Ctrl-C. */
async function forwardInFlight(app: Awaited<ReturnType<typeof slowApp>>) {
  const me = profile()
  const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`], me.env)
  await listener.ready()
  expect((await me.trigger()).code).toBe(0)
  await until(() => app.held.length === 1, 'the forward to reach the app')
  return {me, listener}
}

describe('Ctrl-C on webhooks listen', {timeout: 120_000}, () => {
  it('during a slow forward: says what it waits for at once, keeps the event pending (exit 130), and the next run delivers it first', async () => {
    const app = await slowApp()
    try {
      const {me, listener: first} = await forwardInFlight(app)
      const interrupted = Date.now()
      first.child.kill('SIGINT')
      const stopping = await until(() => first.lines.find((line) => line.type === 'stopping'), 'the stopping line', 2000)
      expect(Date.now() - interrupted).toBeLessThan(1500)
      expect(stopping).toEqual({type: 'stopping', in_flight: 1, grace_ms: 5000})
      expect(await first.exited).toBe(130)
      // Cut short, not failed: no error line, and it is pending in the summary.
      expect(first.lines.filter((line) => line.type === 'error')).toEqual([])
      expect(first.lines.at(-1)).toMatchObject({type: 'summary', delivered: 0, failed: 0, pending: 1})

      const eventId = first.lines.find((line) => line.type === 'event')!.id as string
      const second = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`], me.env)
      const ready = await second.ready()
      expect(ready.pending).toBe(1)
      app.answerAll(ready.public_key)
      // Held connections of the first run are closed; the next run's forward is answered.
      for (const response of app.held.splice(0)) response.destroy()
      await until(() => app.delivered.includes(eventId), 'the pending event to be delivered by the next run')
      expect(app.delivered[0]).toBe(eventId)
      second.child.kill('SIGINT')
      expect(await second.exited).toBe(130)
    } finally {
      await app.close()
    }
  })

  it('a second Ctrl-C quits at once, the event left pending', async () => {
    const app = await slowApp()
    try {
      const {listener} = await forwardInFlight(app)
      listener.child.kill('SIGINT')
      await until(() => listener.lines.find((line) => line.type === 'stopping'), 'the stopping line', 2000)
      const again = Date.now()
      listener.child.kill('SIGINT')
      expect(await listener.exited).toBe(130)
      // Well inside the 5 s grace the first Ctrl-C would have waited.
      expect(Date.now() - again).toBeLessThan(2000)
      expect(listener.lines.at(-1)).toMatchObject({type: 'summary', pending: 1, failed: 0})
    } finally {
      await app.close()
    }
  })

  it('sandbox start exits 130 on Ctrl-C', async () => {
    const {spawn} = await import('node:child_process')
    const {join} = await import('node:path')
    const {ROOT, track} = await import('../helpers/cli.js')
    const child = track(
      spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'sandbox', 'start', '--port', '0', '--ephemeral'], {
        env: {...process.env, UMMAH_CONFIG_DIR: tempConfigDir()},
      }),
    )
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    await until(() => out.includes('Ready.'), 'the sandbox to be ready')
    child.kill('SIGINT')
    const code = await new Promise((resolve) => child.once('exit', resolve))
    expect(code).toBe(130)
  })
})
