/**
 * One registry of webhook schemes (src/webhooks/schemes/registry.ts), and
 * every scheme reachable from each place that names them: `webhooks verify
 * --scheme`, `listen --verify-scheme`, and the sandbox's `sandbox_delivery`
 * (validated, then signed with the registry's sending side and verified with
 * its receiving side). test/e2e/listen.test.ts runs each through a real
 * sandbox delivery and listener.
 */
import {generateKeyPairSync} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {listenFlags} from '../../src/cli/listen-flags.js'
import WebhooksVerify from '../../src/commands/webhooks/verify.js'
import {parseSandboxDelivery} from '../../src/sandbox/delivery-settings.js'
import {SCHEME_NAMES, type SchemeName} from '../../src/schemes/names.js'
import {SCHEMES, type SchemeSettings, buildScheme} from '../../src/schemes/registry.js'

const keys = generateKeyPairSync('rsa', {modulusLength: 2048, publicKeyEncoding: {type: 'spki', format: 'pem'}, privateKeyEncoding: {type: 'pkcs8', format: 'pem'}})

/** Per scheme: a sandbox_delivery.auth object, and the settings the receiving side is given for it. */
const SAMPLES: Record<SchemeName, {auth: Record<string, unknown>; receiving: SchemeSettings; sending?: SchemeSettings}> = {
  'rsa-sha256': {auth: {scheme: 'rsa-sha256'}, receiving: {publicKey: keys.publicKey}, sending: {privateKey: keys.privateKey, publicKey: keys.publicKey}},
  'sha1-password': {auth: {scheme: 'sha1-password', secret: 'pw'}, receiving: {secret: 'pw'}},
  basic: {auth: {scheme: 'basic', username: 'hooks', password: 's3cret'}, receiving: {username: 'hooks', password: 's3cret'}},
  'api-key-headers': {auth: {scheme: 'api-key-headers', headers: {'x-api-key': 'k1', 'x-env': 'test'}}, receiving: {headers: [['x-api-key', 'k1'], ['x-env', 'test']]}},
  'umm-services': {auth: {scheme: 'umm-services', client_key: 'CLIENT7', username: 'hooks', password: 's3cret'}, receiving: {username: 'hooks', password: 's3cret', expectedClientKey: 'CLIENT7'}},
  oauth2: {auth: {scheme: 'oauth2', token_url: 'http://127.0.0.1:9/oauth/token', client_id: 'id', client_secret: 'secret'}, receiving: {token: 'tok'}, sending: {token: 'tok'}},
}

describe('scheme registry', () => {
  it('names every scheme once, and every place that offers schemes offers all of them', () => {
    expect(Object.keys(SCHEMES).sort()).toEqual([...SCHEME_NAMES].sort())
    expect(WebhooksVerify.flags.scheme.options).toEqual([...SCHEME_NAMES])
    expect(listenFlags['verify-scheme'].options).toEqual([...SCHEME_NAMES])
  })

  it.each(SCHEME_NAMES.map((name) => [name]))('%s: sandbox_delivery accepts it, its sending side signs what its receiving side verifies', (name) => {
    const sample = SAMPLES[name]
    expect(parseSandboxDelivery({retry_policy: 'ummah', auth: sample.auth})).toEqual({settings: {format: 'ummah', retry_policy: 'ummah', auth: sample.auth}})
    for (const field of SCHEMES[name].fields) {
      const {[field]: _dropped, ...without} = sample.auth
      expect(parseSandboxDelivery({auth: without}).errors).toEqual({[`sandbox_delivery.auth.${field}`]: ['This field is required.']})
    }
    const body = Buffer.from(JSON.stringify({id: 'evt-1', type: 'purchase.paid', created_on: 1_700_000_000}))
    const sending = SCHEMES[name].build(sample.sending ?? SCHEMES[name].fromDelivery(sample.auth))
    const headers = sending.sign(body)
    const receiving = buildScheme(name, sample.receiving)
    expect(receiving.verify({headers, body})).toEqual({ok: true})
    expect(receiving.name).toBe(name)
    // Tampered: refused (umm-services: its credentials are missing from the tampered request).
    expect(receiving.verify({headers: name === 'rsa-sha256' || name === 'sha1-password' ? headers : {}, body: Buffer.from(body.toString().replace('paid', 'refunded'))}).ok).toBe(false)
  })

  it('a missing setting names the flag that gives it', () => {
    for (const name of SCHEME_NAMES) {
      const [first] = SCHEMES[name].needs
      if (name === 'umm-services') expect(() => buildScheme(name, {}), name).toThrow("--scheme umm-services needs the sender's credentials")
      else if (first) expect(() => buildScheme(name, {}), name).toThrow(`--scheme ${name} needs ${first.flag}`)
      else expect(() => buildScheme(name, {})).not.toThrow()
    }
    expect(parseSandboxDelivery({auth: {scheme: 'nope'}}).errors).toEqual({'sandbox_delivery.auth.scheme': [`"nope" is not a valid choice: ${SCHEME_NAMES.join(', ')}.`]})
  })
})
