#!/usr/bin/env node
// A minimal app that receives Ummah webhooks and verifies them the way the
// API reference says: RSA PKCS#1 v1.5 + SHA-256 over the raw body bytes,
// against the webhook's public key (UMMAH_WEBHOOK_PUBLIC_KEY).
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
    const duplicate = seen.has(event.id)
    seen.add(event.id)
    console.log(`VERIFIED ${event.type} ${event.id} ${event.object?.status ?? ''}${duplicate ? ' (duplicate)' : ''}`)
    response.writeHead(200, {'content-type': 'application/json'}).end('{"received":true}')
  })
})
server.listen(port, '127.0.0.1', () => console.log(`App listening on http://127.0.0.1:${server.address().port}/webhook`))
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)))
