/** The pipeline's answers and lines, against a real local app: 503 until started, stale events flagged on their line. */
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {formatListenLine} from '../../src/cli/listen-output.js'
import {createStyle} from '../../src/cli/output.js'
import {type ListenLine, Pipeline} from '../../src/webhooks/pipeline.js'
import {Spool, type SpoolOptions} from '../../src/webhooks/spool.js'
import {hookedOpen} from '../helpers/append-handle.js'
import {tempDir} from '../helpers/cli.js'
import {type TestServer, startServer} from '../helpers/server.js'
import {until} from '../helpers/wait.js'

let app: TestServer
beforeAll(async () => {
  app = await startServer((_request, response) => void response.writeHead(200).end())
})
afterAll(() => app.close())

async function pipeline(
  lines: ListenLine[],
  now = () => Date.now(),
  file = join(tempDir('ummah-pipeline-'), 'p.spool'),
  openFile?: SpoolOptions['openFile'],
) {
  const spool = await Spool.open(file, {openFile})
  const built = new Pipeline({
    spool,
    verify: () => ({ok: true}),
    deliveryHeaders: ['x-signature'],
    skipVerify: false,
    emit: (line) => lines.push(line),
    now,
    forward: {target: new URL(`${app.origin}/webhook`), timeoutMs: 5000, maxAttempts: 0, concurrency: 1, headers: {}},
  })
  return {built, spool}
}

const delivery = (id: string, createdOn: number) => ({
  headers: {'content-type': 'application/json'},
  body: Buffer.from(JSON.stringify({id, type: 'purchase.paid', created_on: createdOn})),
})

describe('pipeline', () => {
  it('answers 503 with Retry-After until started, then 200 once stored; a repeat is a duplicate', async () => {
    const lines: ListenLine[] = []
    const {built, spool} = await pipeline(lines)
    const early = await built.receive(delivery('evt-early', Math.floor(Date.now() / 1000)))
    expect(early).toEqual({status: 503, headers: {'retry-after': '2'}, body: {error: 'starting, try again'}})
    expect(spool.seen('evt-early')).toBe(false)
    built.start()
    expect(await built.receive(delivery('evt-early', Math.floor(Date.now() / 1000)))).toEqual({status: 200, body: {received: true}})
    expect(await built.receive(delivery('evt-early', Math.floor(Date.now() / 1000)))).toEqual({status: 200, body: {received: true, duplicate: true}})
    await built.stop(1000)
    await spool.close()
  })

  it('a delivery replayed after 300 newer events and a restart is answered as a duplicate and not forwarded', async () => {
    const file = join(tempDir('ummah-pipeline-'), 'p.spool')
    const lines: ListenLine[] = []
    const first = await pipeline(lines, Date.now, file)
    first.built.start()
    const replayed = delivery('evt-replayed', Math.floor(Date.now() / 1000))
    expect((await first.built.receive(replayed)).status).toBe(200)
    for (let index = 0; index < 300; index++)
      expect((await first.built.receive(delivery(`evt-${index}`, Math.floor(Date.now() / 1000)))).status).toBe(200)
    await until(() => lines.filter((line) => line.type === 'response').length >= 301, '301 forwards')
    await first.built.stop(1000)
    await first.spool.close()
    const forwarded = app.requests.length

    const second = await pipeline(lines, Date.now, file)
    second.built.start()
    expect(await second.built.receive(replayed)).toEqual({status: 200, body: {received: true, duplicate: true}})
    // A fresh event after the replay is forwarded; forwards are in arrival order, so once it arrived the replay was not forwarded before it.
    expect((await second.built.receive(delivery('evt-after', Math.floor(Date.now() / 1000)))).status).toBe(200)
    await until(() => app.requests.length > forwarded, 'the event after the replay')
    expect(app.requests.slice(forwarded).map((request) => JSON.parse(request.body).id)).toEqual(['evt-after'])
    await second.built.stop(1000)
    await second.spool.close()
  })

  it('flags a forward of an event created over 10 minutes ago, on its line and in the text', async () => {
    const lines: ListenLine[] = []
    const now = Date.UTC(2026, 11, 2, 12, 0, 0)
    const {built, spool} = await pipeline(lines, () => now)
    built.start()
    await built.receive(delivery('evt-fresh', now / 1000 - 60))
    await built.receive(delivery('evt-stale', now / 1000 - 1800))
    await until(() => lines.filter((line) => line.type === 'response').length >= 2, 'two forwards')
    const responses = lines.filter((line): line is Extract<ListenLine, {type: 'response'}> => line.type === 'response')
    expect(responses.map((line) => [line.id, line.stale, line.age_s])).toEqual([
      ['evt-fresh', undefined, undefined],
      ['evt-stale', true, 1800],
    ])
    const text = formatListenLine(responses[1], await createStyle(false), new Date(now))
    expect(text).toBe(
      `12:00:00  <-- [delivered 200] POST ${app.origin}/webhook [evt-stale] ${responses[1].duration_ms} ms stale: created 30 min ago (apps checking created_on refuse events over 10 min old with 400)`,
    )
    await built.stop(1000)
    await spool.close()
  })

  it("a slow spool write of one event holds back its record and report, not the next event's forward", async () => {
    // The write of the line that holds evt-slow waits for `release`, as an O_DSYNC write of 5–34 ms now and then does.
    let release = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    const held = hookedOpen({
      async write(chunk) {
        if (chunk.includes('evt-slow')) await released
      },
    })
    const lines: ListenLine[] = []
    const file = join(tempDir('ummah-pipeline-'), 'p.spool')
    const {built, spool} = await pipeline(lines, Date.now, file, held)
    built.start()
    const now = Math.floor(Date.now() / 1000)
    const slow = built.receive(delivery('evt-slow', now))
    const next = built.receive(delivery('evt-next', now))
    const arrived = (id: string) => app.requests.some((request) => request.body.includes(`"${id}"`))
    // In order, and the second goes out while the first's line is still being written.
    await until(() => arrived('evt-next'), 'evt-next forwarded while the line of evt-slow is being written', 5000)
    const ids = app.requests.map((request) => (JSON.parse(request.body) as {id: string}).id)
    expect(ids.filter((id) => id === 'evt-slow' || id === 'evt-next')).toEqual(['evt-slow', 'evt-next'])
    // Nothing is reported before the line is on disk: neither "received" nor "delivered".
    expect(lines.filter((line) => 'id' in line && (line.id === 'evt-slow' || line.id === 'evt-next'))).toEqual([])
    expect(spool.all().find((event) => event.id === 'evt-slow')?.status).toBe('pending')
    release()
    expect((await slow).status).toBe(200)
    expect((await next).status).toBe(200)
    await until(() => lines.filter((line) => line.type === 'response').length === 2, 'both reported delivered', 5000)
    // Each event's "received" line before its "delivered" line; each kind in order (the two lines may share a write).
    const told = lines
      .filter((line) => line.type === 'event' || line.type === 'response')
      .map((line) => `${line.type} ${'id' in line ? line.id : ''}`)
    expect(told.filter((line) => line.startsWith('event'))).toEqual(['event evt-slow', 'event evt-next'])
    expect(told.filter((line) => line.startsWith('response'))).toEqual(['response evt-slow', 'response evt-next'])
    for (const id of ['evt-slow', 'evt-next']) expect(told.indexOf(`event ${id}`)).toBeLessThan(told.indexOf(`response ${id}`))
    await built.stop(1000)
    await spool.close()
    // Both delivered on disk, each record after its event's line.
    const reopened = await Spool.open(file)
    expect(reopened.all().map((event) => [event.id, event.status])).toEqual([
      ['evt-slow', 'delivered'],
      ['evt-next', 'delivered'],
    ])
    await reopened.close()
  })
})
