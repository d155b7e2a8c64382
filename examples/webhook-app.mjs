#!/usr/bin/env node
// A minimal app that receives Ummah webhooks and does the three checks the
// API reference asks of every handler: (1) the signature, RSA PKCS#1 v1.5 +
// SHA-256 over the raw body bytes, against the webhook's public key
// (UMMAH_WEBHOOK_PUBLIC_KEY); (2) the time window, created_on within 10
// minutes; (3) de-duplication on the event id (a duplicate is answered 200,
// so the gateway stops retrying). One log line per request: VERIFIED,
// DUPLICATE, or REJECTED and why.
//
//   export UMMAH_WEBHOOK_PUBLIC_KEY='-----BEGIN PUBLIC KEY-----...'
//   node examples/webhook-app.mjs 3000        # listens on 127.0.0.1:3000/webhook
import {createVerify} from 'node:crypto'
import {createServer} from 'node:http'

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000)
const publicKey = process.env.UMMAH_WEBHOOK_PUBLIC_KEY
if (!publicKey) {
  console.error('Set UMMAH_WEBHOOK_PUBLIC_KEY (ummah webhooks listen prints it).')
  process.exit(2)
}

const MAX_SKEW_SECONDS = 10 * 60
const seen = new Set()
const server = createServer((request, response) => {
  if (request.method !== 'POST' || new URL(request.url, 'http://app').pathname !== '/webhook') {
    response.writeHead(404).end()
    return
  }
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
    const raw = Buffer.concat(chunks) // the raw bytes: never re-serialise before verifying
    const signature = Buffer.from(String(request.headers['x-signature'] ?? ''), 'base64')
    const valid = createVerify('sha256').update(raw).verify(publicKey, signature)
    if (!valid) {
      console.log(`REJECTED invalid signature (${raw.length} bytes)`)
      response.writeHead(403, {'content-type': 'application/json'}).end('{"error":"Invalid signature"}')
      return
    }
    const event = JSON.parse(raw.toString('utf8'))
    const createdOn = Number(event.created_on ?? 0)
    if (!createdOn || Math.abs(Date.now() / 1000 - createdOn) > MAX_SKEW_SECONDS) {
      console.log(`REJECTED stale event ${event.id} (created_on ${createdOn})`)
      response.writeHead(400, {'content-type': 'application/json'}).end('{"error":"Stale event"}')
      return
    }
    if (seen.has(event.id)) {
      console.log(`DUPLICATE ${event.type} ${event.id}`)
      response.writeHead(200, {'content-type': 'application/json'}).end('{"received":true,"duplicate":true}')
      return
    }
    seen.add(event.id)
    console.log(`VERIFIED ${event.type} ${event.id} ${event.object?.status ?? ''}`)
    response.writeHead(200, {'content-type': 'application/json'}).end('{"received":true}')
  })
})
server.listen(port, '127.0.0.1', () => console.log(`App listening on http://127.0.0.1:${server.address().port}/webhook`))
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)))
