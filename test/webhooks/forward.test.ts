/**
 * Delivery records are group-committed while the next forwards go out, but
 * never more than UNRECORDED_MAX of them are outstanding: that number bounds
 * what a crash can repeat (README, "At least once"; the kill -9 test).
 */
import {afterAll, beforeAll, expect, it} from 'vitest'

import {Forwarder, UNRECORDED_MAX} from '../../src/webhooks/forward.js'
import type {Spool, SpooledEvent} from '../../src/webhooks/spool.js'
import {type TestServer, startServer} from '../helpers/server.js'
import {until} from '../helpers/wait.js'

/** Records that reach "disk" only when the test says so. */
const held: Array<() => void> = []
/** How many records were outstanding when each forward reached the app. */
const outstandingAtSend: number[] = []
let app: TestServer
beforeAll(async () => {
  app = await startServer((_request, response) => {
    outstandingAtSend.push(held.length)
    response.writeHead(200).end()
  })
})
afterAll(() => app.close())

it(`a worker forwards while records sync, and waits once ${UNRECORDED_MAX} are outstanding`, async () => {
  const spool = {
    markDelivered: (event: SpooledEvent) => {
      event.status = 'delivered'
      return new Promise<void>((resolve) => held.push(resolve))
    },
  } as unknown as Spool
  const forwarder = new Forwarder({
    target: new URL(`${app.origin}/hook`),
    spool,
    timeoutMs: 5000,
    maxAttempts: 0,
    concurrency: 1,
    headers: {},
    report: () => {},
  })
  const total = 100
  for (let seq = 1; seq <= total; seq++) {
    const body = Buffer.from(JSON.stringify({id: `evt-${seq}`}))
    forwarder.enqueue({
      seq,
      id: `evt-${seq}`,
      type: 'purchase.paid',
      receivedAt: Date.now(),
      headers: {},
      body,
      status: 'pending',
      attempts: 0,
      answers: [],
    })
  }
  forwarder.start()
  let synced = 0
  while (synced < total) {
    // Blocked with UNRECORDED_MAX + 1 records written: exactly that many forwards reached the app, not one more.
    await until(() => held.length === Math.min(UNRECORDED_MAX + 1, total - synced) || synced + held.length === total, 'the worker at its bound')
    expect(app.requests.length).toBe(synced + held.length)
    // The disk catches up: every outstanding record synced together.
    const batch = held.splice(0)
    synced += batch.length
    for (const resolve of batch) resolve()
  }
  await until(() => app.requests.length === total, 'every event forwarded')
  expect(Math.max(...outstandingAtSend)).toBe(UNRECORDED_MAX)
  await forwarder.stop(1000)
})
