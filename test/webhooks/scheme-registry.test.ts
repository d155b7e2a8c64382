/**
 * The schemes are described once (src/schemes/catalog.ts and registry.ts),
 * and every place that names them works from that description:
 * `webhooks verify --scheme` and `listen --verify-scheme` (their flags and
 * the settings those flags give), and the sandbox's `sandbox_delivery`
 * (validated, signed by the sending side, checked by the receiving side
 * built from the command-line flags). test/e2e/listen.test.ts runs each
 * through a real sandbox delivery and listener.
 */
import {generateKeyPairSync} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {listenFlags} from '../../src/cli/listen-flags.js'
import {schemeSettings} from '../../src/cli/scheme-flags.js'
import WebhooksVerify from '../../src/commands/webhooks/verify.js'
import {parseSandboxDelivery} from '../../src/sandbox/delivery-settings.js'
import {type ReceivingSide, SCHEME_CATALOG, SCHEME_NAMES, SETTINGS, type SchemeName, type SettingName} from '../../src/schemes/catalog.js'
import {listenerCheck} from '../../src/schemes/listening.js'
import {buildScheme, schemeEntry} from '../../src/schemes/registry.js'

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: {type: 'spki', format: 'pem'},
  privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
})

/** Per scheme: a sandbox_delivery.auth object, and the `webhooks verify` flags (by name) its receiving side is given. */
const SAMPLES: Record<SchemeName, {auth: Record<string, unknown>; verifyFlags: Record<string, unknown>}> = {
  'rsa-sha256': {auth: {scheme: 'rsa-sha256'}, verifyFlags: {'public-key': keys.publicKey}},
  'sha1-password': {auth: {scheme: 'sha1-password', secret: 'pw'}, verifyFlags: {secret: 'pw'}},
  basic: {auth: {scheme: 'basic', username: 'hooks', password: 's3cret'}, verifyFlags: {username: 'hooks', password: 's3cret'}},
  'api-key-headers': {
    auth: {scheme: 'api-key-headers', headers: {'x-api-key': 'k1', 'x-env': 'test'}},
    verifyFlags: {header: ['x-api-key:k1', 'x-env: test']},
  },
  'umm-services': {
    auth: {scheme: 'umm-services', client_key: 'CLIENT7', username: 'hooks', password: 's3cret'},
    verifyFlags: {username: 'hooks', password: 's3cret', 'client-key': 'CLIENT7'},
  },
  oauth2: {
    auth: {scheme: 'oauth2', token_url: 'http://127.0.0.1:9/oauth/token', client_id: 'id', client_secret: 'secret'},
    verifyFlags: {token: 'tok'},
  },
}

const FLAGS: Record<ReceivingSide, Record<string, {summary?: string}>> = {verify: WebhooksVerify.flags, listen: listenFlags}

function settingsOf(name: SchemeName, side: ReceivingSide): SettingName[] {
  const needs = SCHEME_CATALOG[name]
  return [...new Set([...needs[side].flat(), ...needs.optional])] as SettingName[]
}

describe('schemes, described once', () => {
  it('every setting a scheme reads is a flag of each command that takes it, whose help names the scheme', () => {
    let checked = 0
    for (const side of ['verify', 'listen'] as const) {
      for (const name of SCHEME_NAMES) {
        for (const setting of settingsOf(name, side)) {
          const flag = (SETTINGS[setting] as {verify?: string; listen?: string})[side]
          if (!flag) continue
          expect(FLAGS[side][flag], `${side} --${flag}`).toBeDefined()
          expect(FLAGS[side][flag].summary, `${side} --${flag}`).toMatch(new RegExp(`^[^:]*\\b${name}\\b[^:]*:`))
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20)
    expect(WebhooksVerify.flags.scheme.options).toEqual(SCHEME_NAMES)
    expect(listenFlags['verify-scheme'].options).toEqual(SCHEME_NAMES)
  })

  it.each(SCHEME_NAMES.map((name) => [name]))(
    '%s: sandbox_delivery keeps its fields, its sending side signs what `verify` built from flags accepts',
    async (name) => {
      const sample = SAMPLES[name]
      expect(parseSandboxDelivery({retry_policy: 'ummah', auth: {...sample.auth, unknown_field: 'x'.repeat(100)}})).toEqual({
        settings: {format: 'ummah', retry_policy: 'ummah', auth: sample.auth},
      })
      for (const [field, spec] of Object.entries(schemeEntry(name).delivery)) {
        if (!spec.required) continue
        const {[field]: _dropped, ...without} = sample.auth
        expect(parseSandboxDelivery({auth: without}).errors?.[`sandbox_delivery.auth.${field}`], field).toBeDefined()
      }
      const body = Buffer.from(JSON.stringify({id: 'evt-1', type: 'purchase.paid', created_on: 1_700_000_000}))
      const auth = parseSandboxDelivery({auth: sample.auth}).settings!.auth
      const entry = schemeEntry(name)
      const headers = {...entry.sender(auth, {privateKey: keys.privateKey}).sign(body), ...(entry.bearer ? {authorization: 'Bearer tok'} : {})}
      const receiving = buildScheme(name, await schemeSettings('verify', sample.verifyFlags), 'verify')
      expect(receiving.verify({headers, body})).toEqual({ok: true})
      expect(receiving.name).toBe(name)
      // Tampered: refused (umm-services and the credential schemes: their credentials are missing from the tampered request).
      expect(
        receiving.verify({
          headers: name === 'rsa-sha256' || name === 'sha1-password' ? headers : {},
          body: Buffer.from(body.toString().replace('paid', 'refunded')),
        }).ok,
      ).toBe(false)
    },
  )

  it.each(['verify', 'listen'] as const)('%s: a scheme missing what it needs names the flags that give it', (side) => {
    const option = side === 'verify' ? '--scheme' : '--verify-scheme'
    for (const name of SCHEME_NAMES) {
      const needs = SCHEME_CATALOG[name][side]
      if (needs.every((set) => set.length === 0)) {
        expect(() => buildScheme(name, {}, side), name).not.toThrow()
        continue
      }
      let message = ''
      try {
        buildScheme(name, {}, side)
      } catch (error) {
        message = (error as Error).message
      }
      expect(message, name).toContain(`${option} ${name} needs`)
      for (const setting of needs[0]) expect(message, name).toContain(`--${(SETTINGS[setting] as {verify?: string; listen?: string})[side]}`)
    }
    expect(parseSandboxDelivery({auth: {scheme: 'nope'}}).errors).toEqual({
      'sandbox_delivery.auth.scheme': [`"nope" is not a valid choice: ${SCHEME_NAMES.join(', ')}.`],
    })
  })

  it("listen's receiver extras: the webhook's own key, and the bearers it issues at …/oauth/token", () => {
    let key: string | undefined
    const rsa = listenerCheck('rsa-sha256', {}, () => key)
    const body = Buffer.from('{"id":"evt-2"}')
    const signed = schemeEntry('rsa-sha256').sender({scheme: 'rsa-sha256'}, {privateKey: keys.privateKey}).sign(body)
    expect(rsa.verify({headers: signed, body})).toEqual({ok: false, reason: 'no public key to verify with'})
    key = keys.publicKey
    expect(rsa.verify({headers: signed, body})).toEqual({ok: true})

    const oauth = listenerCheck('oauth2', {clientId: 'id', clientSecret: 'secret'}, () => undefined)
    expect(oauth.tokenEndpoint).toBeDefined()
    const issued = oauth.tokenEndpoint!(undefined, 'grant_type=client_credentials&client_id=id&client_secret=secret')
    expect(issued.status).toBe(200)
    expect(oauth.verify({headers: {authorization: `Bearer ${String(issued.body.access_token)}`}, body})).toEqual({ok: true})
    expect(oauth.verify({headers: {authorization: 'Bearer forged'}, body}).ok).toBe(false)
    expect(() => listenerCheck('oauth2', {clientId: 'id'}, () => undefined)).toThrow(
      '--verify-scheme oauth2 with OAuth2 needs --client-id and --client-secret',
    )
  })
})
