/** OAuth2 client credentials between real local servers: a token endpoint issuing short-lived tokens and a receiver checking them. */
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {OAuth2Issuer, OAuth2TokenSource, sendWithBearer} from '../../src/schemes/oauth2.js'
import {ManualClock} from '../helpers/clock.js'

/** Both sides read this clock: the token's expiry is a moved clock, not a wait. */
const clock = new ManualClock()

const issuer = new OAuth2Issuer({clientId: 'ummah', clientSecret: 'hook-secret', scope: 'webhooks', ttlSeconds: 2, now: () => clock.now()})
const tokenRequests: string[] = []
const received: Array<{token: string; status: number; at: number}> = []
const servers = [
  createServer((request, response) => {
    let form = ''
    request.on('data', (chunk) => (form += chunk))
    request.on('end', () => {
      tokenRequests.push(form)
      const {status, body} = issuer.tokenResponse(request.headers.authorization, form)
      response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
    })
  }),
  createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      const verdict = issuer.verify({headers: {authorization: request.headers.authorization}, body: Buffer.alloc(0)})
      const status = verdict.ok ? 200 : 401
      received.push({token: String(request.headers.authorization).slice(7), status, at: clock.now()})
      response.writeHead(status).end(verdict.ok ? '' : verdict.reason)
    })
  }),
]
let tokenUrl = ''
let hookUrl = ''

beforeAll(async () => {
  const ports = await Promise.all(
    servers.map((server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))),
  )
  tokenUrl = `http://127.0.0.1:${ports[0]}/oauth/token`
  hookUrl = `http://127.0.0.1:${ports[1]}/webhook`
})
afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))))

const deliver = (source: OAuth2TokenSource) =>
  sendWithBearer(source, (authorization) =>
    fetch(hookUrl, {method: 'POST', headers: {authorization}, body: '{}'}).then((response) => ({status: response.status})),
  )

describe('oauth2 client credentials', () => {
  it('caches the token, refreshes it on expiry and on a 401, and never sends an expired or refused token again', async () => {
    const source = new OAuth2TokenSource({
      tokenUrl,
      clientId: 'ummah',
      clientSecret: 'hook-secret',
      scope: 'webhooks',
      skewMs: 200,
      now: () => clock.now(),
    })
    expect((await deliver(source)).status).toBe(200)
    expect((await deliver(source)).status).toBe(200)
    expect(source.fetched).toBe(1)
    expect(tokenRequests[0]).toBe('grant_type=client_credentials&scope=webhooks')
    const first = received[0].token
    expect(received[1].token).toBe(first)

    // 1.9 s on: within the 200 ms skew of the 2 s token, so the source fetches a new one rather than send one about to expire.
    await clock.advance(1900)
    expect((await deliver(source)).status).toBe(200)
    expect(source.fetched).toBe(2)
    const second = received[2].token
    expect(second).not.toBe(first)

    issuer.revoke(second)
    expect((await deliver(source)).status).toBe(200)
    expect((await deliver(source)).status).toBe(200)
    expect(received.slice(3).map((item) => [item.token === second, item.status])).toEqual([
      [true, 401],
      [false, 200],
      [false, 200],
    ])
    expect(source.fetched).toBe(3)
    // No token was ever sent after it expired or was refused.
    expect(received.filter((item) => item.status !== 200)).toHaveLength(1)
  })

  it('the token endpoint refuses wrong credentials and grants; the receiver names an expired or foreign token', async () => {
    const wrong = new OAuth2TokenSource({tokenUrl, clientId: 'ummah', clientSecret: 'nope'})
    await expect(wrong.bearer()).rejects.toThrow('The OAuth2 token endpoint refused the client credentials (401 invalid_client)')
    expect(issuer.tokenResponse(undefined, 'grant_type=password&client_id=ummah&client_secret=hook-secret')).toMatchObject({
      status: 400,
      body: {error: 'unsupported_grant_type'},
    })

    const timedClock = new ManualClock()
    const timed = new OAuth2Issuer({clientId: 'a', clientSecret: 'b', ttlSeconds: 60, now: () => timedClock.now()})
    const {body} = timed.tokenResponse(undefined, 'grant_type=client_credentials&client_id=a&client_secret=b')
    const headers = {authorization: `Bearer ${body.access_token}`}
    expect(timed.verify({headers, body: Buffer.alloc(0)})).toEqual({ok: true})
    await timedClock.advance(60_000)
    expect(timed.verify({headers, body: Buffer.alloc(0)})).toEqual({ok: false, reason: 'the bearer token has expired'})
    expect(timed.verify({headers: {authorization: 'Bearer 00'}, body: Buffer.alloc(0)})).toEqual({
      ok: false,
      reason: 'the bearer token was not issued by this receiver',
    })
    expect(timed.verify({headers: {}, body: Buffer.alloc(0)})).toEqual({ok: false, reason: 'no Authorization header'})
  })
})
