/**
 * The inspector as a developer uses it, in Debian's chromium driven by
 * playwright-core: the sandbox delivers, the real `webhooks listen` relays
 * and serves the page, and the app checks every delivery with the API
 * reference's own verification sample (test/fixtures/reference-samples).
 * Each test asserts what the page shows against what the app received.
 */
import {execFile} from 'node:child_process'
import {type IncomingHttpHeaders, type Server, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {promisify} from 'node:util'
import type {Browser, Page} from 'playwright-core'
import {launchChromium} from '../helpers/browser.js'
import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {Spool} from '../../src/webhooks/spool.js'
import {spoolFile} from '../../src/webhooks/listen.js'
import {ROOT, runCli, tempConfigDir} from '../helpers/cli.js'
import {Listener, until} from './listen-harness.js'

// The page's globals, as the functions playwright runs in the page use them (this project's tsconfig has no DOM library).
interface PageElement {
  textContent: string | null
  hidden: boolean
  id: string
  children: ArrayLike<PageElement>
}
declare const document: {
  getElementById(id: string): PageElement | null
  querySelector(selector: string): PageElement | null
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>
  activeElement: PageElement | null
}
declare const window: Record<string, unknown>
declare const navigator: {clipboard: {readText(): Promise<string>}}

const KEY = 'sk_test_inspector_browser'
const CONFIG = tempConfigDir()
const SAMPLES = join(ROOT, 'test', 'fixtures', 'reference-samples')
/** The README's screenshot, made here. */
const SCREENSHOT = join(ROOT, 'docs', 'inspector.png')

interface Hit {
  raw: Buffer
  headers: IncomingHttpHeaders
  /** What the reference's handler said of it. */
  verdict: [number, string]
}

/** The developer's app: the reference's handler decides, unless the test makes it fail or answer HTML. */
class ReferenceApp {
  hits: Hit[] = []
  mode: 'ok' | 'fail' | 'html' = 'ok'
  port = 0
  private server?: Server
  handle?: (raw: Buffer, signature: string) => Promise<[number, string]>

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', async () => {
        const raw = Buffer.concat(chunks)
        const verdict = await this.handle!(raw, String(request.headers['x-signature'] ?? ''))
        this.hits.push({raw, headers: request.headers, verdict})
        if (this.mode === 'fail') response.writeHead(500, {'content-type': 'application/json'}).end('{"error":"database unavailable"}')
        else if (this.mode === 'html')
          response
            .writeHead(200, {'content-type': 'text/html'})
            .end('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">handled')
        else response.writeHead(verdict[0], {'content-type': 'text/plain'}).end(verdict[1])
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.close(() => resolve())
      this.server?.closeAllConnections()
    })
  }
}

let sandbox: Sandbox
let browser: Browser
let listener: Listener
let ready: Record<string, any>
const app = new ReferenceApp()
const env = () => ({UMMAH_CONFIG_DIR: CONFIG, UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: sandbox.apiBase})

async function trigger(event: string): Promise<void> {
  const result = await runCli(['trigger', event], {env: env()})
  expect(result.code, result.stderr).toBe(0)
}

beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [100, 200, 400], statementDelayMs: 0})
  await app.start()
  listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`], env())
  ready = await listener.ready()
  // The sample reads its key from the environment when it loads, as it would in an app.
  process.env.UMMAH_WEBHOOK_PUBLIC_KEY = ready.public_key
  app.handle = ((await import(join(SAMPLES, 'ummah-replay.mjs'))) as {handle: ReferenceApp['handle']}).handle
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await listener?.stop()
  await app.stop()
  await sandbox?.close()
})

async function openInspector(url = ready.inspector as string): Promise<Page> {
  const context = await browser.newContext({viewport: {width: 1400, height: 900}})
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], {origin: new URL(url).origin})
  const page = await context.newPage()
  await page.goto(url)
  await page.waitForSelector('body[data-ready="true"]')
  return page
}

const row = (page: Page, id: string) => page.locator('#events tr', {hasText: id})
const lastHit = () => app.hits.at(-1)!
const eventOf = (hit: Hit) => JSON.parse(hit.raw.toString()) as {id: string; type: string}

describe('the inspector in chromium', {timeout: 120_000}, () => {
  it('an event triggered after the page is open appears without a reload, with the exact body and headers the app received, verified', async () => {
    const page = await openInspector()
    await page.evaluate(() => Object.assign(window, {__sameDocument: true}))
    const before = app.hits.length
    await trigger('purchase.created')
    await until(() => app.hits.length === before + 1, 'the event at the app')
    const hit = lastHit()
    const {id} = eventOf(hit)
    expect(hit.verdict).toEqual([200, 'ok'])
    await row(page, id).waitFor()
    await until(async () => (await row(page, id).textContent())?.includes('delivered'), 'the row delivered')
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true)
    expect(await row(page, id).textContent()).toContain('verified')

    await row(page, id).click()
    await page.waitForFunction((shown) => document.getElementById('d-id')?.textContent === shown, id)
    expect(await page.textContent('#d-body')).toBe(JSON.stringify(JSON.parse(hit.raw.toString()), null, 2))
    await page.click('#raw-toggle')
    expect(await page.textContent('#d-body')).toBe(hit.raw.toString())
    expect(await page.textContent('#d-size')).toBe(`${hit.raw.length} bytes`)
    const headers = Object.fromEntries(
      await page.$$eval('#d-headers tr', (rows) => rows.map((tr) => [tr.children[0].textContent, tr.children[1].textContent])),
    ) as Record<string, string>
    expect(headers['x-signature']).toBe(hit.headers['x-signature'])
    expect(headers['content-type']).toBe(hit.headers['content-type'])
    expect(await page.textContent('#d-verdict')).toMatch(/^verified by rsa-sha256 · key sha256:[0-9a-f]{16}$/)
    expect(await page.textContent('#d-attempts')).toContain('#1 ·')

    // Copy as curl, pasted into a shell: the app gets the very same bytes and signature.
    await page.click('#copy-curl')
    const curl = await page.evaluate(() => navigator.clipboard.readText())
    // Not execFileSync: the app answering curl runs in this process.
    await promisify(execFile)('/bin/sh', ['-c', curl], {timeout: 20_000})
    await until(() => app.hits.length === before + 2, 'the curl copy at the app')
    expect(lastHit().raw.equals(hit.raw)).toBe(true)
    expect(lastHit().headers['x-signature']).toBe(hit.headers['x-signature'])
    await page.context().close()
  })

  it('the app answers 500 with a body: the page shows both; once it recovers, the retry is shown and the state becomes delivered', async () => {
    const page = await openInspector()
    app.mode = 'fail'
    onTestFinished(() => {
      app.mode = 'ok'
    })
    const before = app.hits.length
    await trigger('purchase.created')
    await until(() => app.hits.length >= before + 2, 'two failed forwards')
    const {id} = eventOf(lastHit())
    await row(page, id).click()
    await page.waitForFunction(() => document.querySelectorAll('#d-attempts .attempt').length >= 2)
    const attempts = page.locator('#d-attempts .attempt')
    expect(await attempts.last().textContent()).toContain('#1 · ')
    expect(await attempts.last().locator('div').first().textContent()).toMatch(/ · 500 · \d+ ms · retried in \d+ ms$/)
    expect(await attempts.last().locator('pre').textContent()).toBe('{"error":"database unavailable"}')
    expect(await attempts.last().textContent()).toContain('application/json')
    expect(await row(page, id).textContent()).toMatch(/retrying|delivering/)

    app.mode = 'ok'
    await until(async () => (await page.textContent('#d-state')) === 'delivered', 'the detail says delivered', 30_000)
    expect(await row(page, id).textContent()).toContain('delivered')
    expect(await attempts.first().locator('div').first().textContent()).toMatch(/ · 200 · \d+ ms$/)
    expect(await attempts.first().locator('pre').textContent()).toBe('ok')
    await page.context().close()
  })

  it('replay sends the same bytes again and shows the new attempt', async () => {
    const page = await openInspector()
    const before = app.hits.length
    await trigger('purchase.created')
    await until(() => app.hits.length === before + 1, 'the event at the app')
    const original = lastHit()
    const {id} = eventOf(original)
    await row(page, id).click()
    await page.waitForFunction(() => document.querySelectorAll('#d-attempts .attempt').length === 1)
    await page.click('#replay')
    await until(async () => (await page.textContent('#action-result'))?.startsWith('Replayed'), 'the replay answered')
    expect(await page.textContent('#action-result')).toMatch(/^Replayed: your app answered 200 in \d+ ms\.$/)
    expect(app.hits).toHaveLength(before + 2)
    expect(lastHit().raw.equals(original.raw)).toBe(true)
    expect(lastHit().headers['x-signature']).toBe(original.headers['x-signature'])
    await page.waitForFunction(() => document.querySelectorAll('#d-attempts .attempt').length === 2)
    expect(await page.locator('#d-attempts .attempt').first().locator('div').first().textContent()).toMatch(/^#2 replay · .* · 200 · \d+ ms$/)
    await page.context().close()
  })

  it("edit and replay on the sandbox: the app receives the edited body, signed with the webhook's key", async () => {
    const page = await openInspector()
    const before = app.hits.length
    await trigger('purchase.created')
    await until(() => app.hits.length === before + 1, 'the event at the app')
    const {id} = eventOf(lastHit())
    await row(page, id).click()
    await page.waitForFunction((shown) => document.getElementById('d-id')?.textContent === shown, id)
    expect(await page.isDisabled('#edit')).toBe(false)
    await page.click('#edit')
    const text = await page.inputValue('#edit-body')
    const edited = JSON.parse(text) as {id: string; type: string; object: Record<string, unknown>}
    expect(edited.id).not.toBe(id)
    edited.type = 'purchase.paid'
    edited.object.reference = 'edited in the inspector'
    const payload = JSON.stringify(edited, null, 2)
    await page.fill('#edit-body', payload)
    await page.click('#send-edit')
    await until(() => app.hits.length === before + 2, 'the edited event at the app')
    const hit = lastHit()
    expect(hit.raw.toString()).toBe(payload)
    // The reference's own verification code, with the key `listen` printed: genuine.
    expect(hit.verdict).toEqual([200, 'ok'])
    expect(await app.handle!(hit.raw, String(hit.headers['x-signature']))).toEqual([200, 'ok'])
    await row(page, edited.id).waitFor()
    expect(await row(page, edited.id).textContent()).toContain('purchase.paid')
    await page.context().close()
  })

  it('a payload and an answer holding HTML and script stay text: no dialog, no element, no script run', async () => {
    const page = await openInspector()
    let dialogs = 0
    page.on('dialog', (dialog) => {
      dialogs++
      void dialog.dismiss()
    })
    app.mode = 'html'
    onTestFinished(() => {
      app.mode = 'ok'
    })
    const hostile = {
      id: 'evt-<img src=x onerror=alert(1)>',
      type: 'purchase.paid<script>alert(2)</script>',
      created_on: Math.floor(Date.now() / 1000),
      object: {id: 'needle-html', reference: '<img src=x onerror="alert(3)"><script>alert(4)</script><b>bold</b>'},
    }
    const payload = JSON.stringify(hostile)
    const delivered = await fetch(new URL(`/_sandbox/webhooks/${ready.webhook_id}/deliver`, sandbox.apiBase), {
      method: 'POST',
      headers: {authorization: `Bearer ${KEY}`, 'content-type': 'application/json'},
      body: JSON.stringify({payload}),
    })
    expect(delivered.status).toBe(200)
    await until(() => app.hits.some((hit) => hit.raw.toString() === payload), 'the hostile event at the app')
    app.mode = 'ok'
    await row(page, hostile.id).waitFor()
    expect(await row(page, hostile.id).locator('td').nth(1).textContent()).toBe(hostile.type)
    await row(page, hostile.id).click()
    await page.waitForFunction(() => document.querySelectorAll('#d-attempts .attempt').length === 1)
    expect(await page.textContent('#d-id')).toBe(hostile.id)
    expect(await page.textContent('#d-body')).toContain('<img src=x onerror=\\"alert(3)\\"><script>alert(4)</script><b>bold</b>')
    expect(await page.locator('#d-attempts pre').textContent()).toBe(
      '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">handled',
    )
    expect(await page.locator('main img, main script, main b').count()).toBe(0)
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined()
    expect(dialogs).toBe(0)
    await page.context().close()
  })

  it('filters and search narrow the list', async () => {
    await trigger('purchase.paid')
    const page = await openInspector()
    const all = await page.locator('#events tr').count()
    expect(all).toBeGreaterThanOrEqual(7)
    const types = async () => page.$$eval('#events tr', (rows) => rows.map((tr) => tr.children[1].textContent))
    await page.selectOption('#filter-type', 'purchase.paid')
    await page.waitForFunction((total) => document.querySelectorAll('#events tr').length < total, all)
    const paid = await types()
    expect(paid.length).toBeGreaterThan(0)
    expect(new Set(paid)).toEqual(new Set(['purchase.paid']))
    await page.selectOption('#filter-type', '')
    await page.selectOption('#filter-state', 'delivered')
    await page.waitForFunction(() => [...document.querySelectorAll('#events tr')].every((tr) => tr.children[5].textContent === 'delivered'))
    await page.selectOption('#filter-state', '')
    await page.fill('#filter-text', 'needle-html')
    await page.waitForFunction(() => document.querySelectorAll('#events tr').length === 1)
    expect(await page.locator('#events tr td.id').textContent()).toBe('evt-<img src=x onerror=alert(1)>')
    // Keyboard: / focuses the search; arrows walk the list and open each event.
    await page.fill('#filter-text', '')
    await page.waitForFunction((total) => document.querySelectorAll('#events tr').length === total, all)
    await page.keyboard.press('Escape')
    await page.keyboard.press('ArrowDown')
    await page.waitForFunction(() => document.querySelector('#events tr.selected') !== null && !document.getElementById('detail')!.hidden)
    const first = await page.textContent('#events tr.selected td.id')
    await page.keyboard.press('j')
    await page.waitForFunction((was) => document.querySelector('#events tr.selected td.id')?.textContent !== was, first)
    await page.keyboard.press('/')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('filter-text')
    await page.locator('#events tr').nth(1).click()
    await page.waitForFunction(() => !document.getElementById('detail')!.hidden && document.querySelectorAll('#d-attempts .attempt').length > 0)
    await page.screenshot({path: SCREENSHOT})
    await page.context().close()
  })

  it('5,000 events: the first page paints in under 2 s, and older ones load a page at a time', async () => {
    // A spool of 5,000 events kept (as a listener leaves it when the app was down for a day), then a listener on it whose app is still down.
    const config = tempConfigDir()
    const spool = await Spool.open(spoolFile('default', {...process.env, UMMAH_CONFIG_DIR: config}))
    const created = Math.floor(Date.now() / 1000)
    const admitted = await Promise.all(
      Array.from({length: 5000}, (_, n) => {
        const body = Buffer.from(
          JSON.stringify({id: `evt-many-${n}`, type: n % 2 ? 'purchase.paid' : 'purchase.created', created_on: created, object: {n}}),
        )
        return spool.admit({
          id: `evt-many-${n}`,
          type: n % 2 ? 'purchase.paid' : 'purchase.created',
          headers: {'content-type': 'application/json'},
          body,
        })
      }),
    )
    await Promise.all(admitted.map((admission) => (admission.duplicate ? undefined : admission.durable)))
    await spool.close()
    const many = new Listener(['--forward', '127.0.0.1:9/webhook'], {
      UMMAH_CONFIG_DIR: config,
      UMMAH_SECRET_KEY: 'sk_test_inspector_many',
      UMMAH_API_BASE: sandbox.apiBase,
    })
    const started = await many.ready()
    expect(started.pending).toBe(5000)
    const startedAt = performance.now()
    const page = await openInspector(started.inspector)
    await page.waitForFunction(() => document.querySelectorAll('#events tr').length === 100)
    const firstPaint = performance.now() - startedAt
    expect(firstPaint).toBeLessThan(2000)
    expect(await page.locator('#events tr td.id').first().textContent()).toBe('evt-many-4999')
    await page.click('#more')
    await page.waitForFunction(() => document.querySelectorAll('#events tr').length === 200)
    expect(await page.locator('#events tr td.id').last().textContent()).toBe('evt-many-4800')
    await page.fill('#filter-text', 'evt-many-1234"')
    await page.waitForFunction(() => document.querySelectorAll('#events tr').length === 1)
    expect(await page.locator('#events tr td.id').textContent()).toBe('evt-many-1234')
    console.log(`inspector: first page of 5,000 events painted in ${Math.round(firstPaint)} ms`)
    await page.context().close()
    await many.stop()
  })
})
