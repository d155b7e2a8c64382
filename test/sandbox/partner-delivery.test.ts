/** The sandbox delivering with partner authentication schemes and retry policies (webhook `sandbox_delivery`). */
import {describe, expect, it} from 'vitest'

import {retryDelays} from '../../src/sandbox/delivery-settings.js'
import {apiKeyHeadersScheme} from '../../src/schemes/api-key-headers.js'
import {basicScheme} from '../../src/schemes/basic.js'
import {OAuth2Issuer} from '../../src/schemes/oauth2.js'
import {sha1PasswordScheme} from '../../src/schemes/sha1-password.js'
import type {Scheme} from '../../src/schemes/types.js'
import {ummServicesScheme} from '../../src/schemes/umm-services.js'
import {clientFor, purchaseBody, withSandbox} from './helpers.js'
import {type Hit, receiver, until} from './receiver.js'

describe('sandbox deliveries with partner authentication', () => {
  it('signs or authenticates each webhook as configured; the receiver checks pass', async () => {
    const sandbox = await withSandbox()
    const call = clientFor(sandbox, 'sk_test_partner_auth')
    const issuer = new OAuth2Issuer({clientId: 'gw', clientSecret: 'gw-secret', scope: 'hooks', ttlSeconds: 60})
    const app = await receiver((hit) =>
      hit.path.endsWith('/oauth/token') ? issuer.tokenResponse(hit.headers.authorization, hit.body.toString()) : {status: 200},
    )
    const schemes: Record<string, {auth: Record<string, unknown>; check: (hit: Hit) => ReturnType<Scheme['verify']>}> = {
      basic: {
        auth: {scheme: 'basic', username: 'hooks', password: 's3cret'},
        check: (hit) => basicScheme({username: 'hooks', password: 's3cret'}).verify(hit),
      },
      sha1: {auth: {scheme: 'sha1-password', secret: 'pw'}, check: (hit) => sha1PasswordScheme({password: 'pw'}).verify(hit)},
      keys: {
        auth: {scheme: 'api-key-headers', headers: {test_header1: 'value1', test_header2: 'value2'}},
        check: (hit) =>
          apiKeyHeadersScheme([
            ['test_header1', 'value1'],
            ['test_header2', 'value2'],
          ]).verify(hit),
      },
      umm: {auth: {scheme: 'umm-services', client_key: 'CLI42'}, check: (hit) => ummServicesScheme({clientKey: 'CLI42'}).verify(hit)},
      oauth: {
        auth: {scheme: 'oauth2', token_url: `${app.url}/oauth/token`, client_id: 'gw', client_secret: 'gw-secret', scope: 'hooks'},
        check: (hit) => issuer.verify(hit),
      },
    }
    for (const [path, {auth}] of Object.entries(schemes)) {
      const created = await call('POST', '/webhooks/', {callback: `${app.url}/${path}`, events: ['purchase.created'], sandbox_delivery: {auth}})
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      expect(created.body.sandbox_delivery).toMatchObject({retry_policy: 'ummah', auth: {scheme: auth.scheme}})
    }
    await call('POST', '/purchases/', purchaseBody())
    await until(() => app.hits.length === 5, 'five deliveries')
    for (const [path, {check}] of Object.entries(schemes)) {
      const hit = app.hits.find((item) => item.path === `/${path}`)!
      expect(check(hit), path).toEqual({ok: true})
      expect(JSON.parse(hit.body.toString()).type).toBe('purchase.created')
    }
    expect(app.hits.find((item) => item.path === '/umm')!.headers.client_key).toBe('CLI42')

    const bad = await call('POST', '/webhooks/', {
      callback: `${app.url}/x`,
      all_events: true,
      sandbox_delivery: {
        auth: {scheme: 'api-key-headers', headers: Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`h${n}`, 'v']))},
        retry_policy: 'weekly',
      },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.details).toEqual({
      'sandbox_delivery.retry_policy': ['"weekly" is not a valid choice: ummah, hourly-3d, every-5m-x15, exponential-24h.'],
      'sandbox_delivery.auth.headers': ['At most 5 headers.'],
    })
    await app.close()
    await sandbox.close()
  })
})

describe('retry policies under --time-scale', () => {
  it.each([
    ['hourly-3d', 72_000, 73],
    ['every-5m-x15', 6000, 15],
    ['exponential-24h', 21_600, 11],
  ] as const)(
    '%s: every attempt of the full schedule, one event id, spaced as scheduled',
    async (policy, timeScale, attempts) => {
      const sandbox = await withSandbox({timeScale})
      const call = clientFor(sandbox, `sk_test_policy_${policy.replaceAll('-', '_')}`)
      const app = await receiver(() => ({status: 503}))
      await call('POST', '/webhooks/', {callback: `${app.url}/hook`, events: ['purchase.created'], sandbox_delivery: {retry_policy: policy}})
      const purchase = await call('POST', '/purchases/', purchaseBody())
      await until(() => app.hits.length >= attempts, `${attempts} attempts`, 30_000)
      // The last attempt is recorded `failed`: the schedule is over, and no timer is left to post again.
      await until(
        async () => (await call('GET', `/webhooks/deliveries/?id=${purchase.body.id}&source_type=purchase`)).body.results[0]?.status === 'failed',
        'the final attempt to be recorded failed',
      )
      expect(app.hits).toHaveLength(attempts)
      expect(new Set(app.hits.map((hit) => JSON.parse(hit.body.toString()).id)).size).toBe(1)

      const expected = retryDelays(policy, []).map((delay) => delay / timeScale)
      const spacing = app.hits.slice(1).map((hit, index) => hit.at - app.hits[index].at)
      for (const [index, gap] of spacing.entries()) {
        if (expected[index] >= 40) expect(gap, `gap ${index + 1}`).toBeGreaterThan(expected[index] * 0.8)
        expect(gap, `gap ${index + 1}`).toBeLessThan(expected[index] * 1.5 + 40)
      }
      const log = await call('GET', `/webhooks/deliveries/?id=${purchase.body.id}&source_type=purchase&page_size=100`)
      expect(log.body.results).toHaveLength(attempts)
      expect(log.body.results.map((record: {attempt: number}) => record.attempt).sort((a: number, b: number) => a - b)).toEqual(
        Array.from({length: attempts}, (_, index) => index + 1),
      )
      await app.close()
      await sandbox.close()
    },
    60_000,
  )
})
