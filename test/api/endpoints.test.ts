import {describe, expect, it} from 'vitest'

import {endpoints} from '../../src/api/endpoints.js'
import {buildPath, pathParams} from '../../src/api/paths.js'

describe('the endpoint table', () => {
  it('holds each documented endpoint once: one id, one route, one command per row', () => {
    expect(endpoints.length).toBeGreaterThan(0)
    expect(new Set(endpoints.map((e) => e.id)).size).toBe(endpoints.length)
    expect(new Set(endpoints.map((e) => `${e.method} ${e.path}`)).size).toBe(endpoints.length)
    expect(new Set(endpoints.map((e) => e.command)).size).toBe(endpoints.length)
  })

  it('declares what each path placeholder holds: UUIDs for purchases and clients, one opaque segment for the rest', () => {
    for (const e of endpoints) {
      expect(Object.keys(e.ids ?? {}), e.id).toEqual(pathParams(e))
      for (const [name, format] of Object.entries(e.ids ?? {}))
        expect(format, `${e.id} ${name}`).toBe(name === 'id' && /^\/(purchases|clients)\//.test(e.path) ? 'uuid' : 'id')
    }
  })

  it('writes paths with a leading and trailing slash and documented parameters only where they can go', () => {
    for (const e of endpoints) {
      expect(e.path, e.id).toMatch(/^\/[a-z_/{}]+\/$/)
      if (e.method === 'GET' || e.method === 'DELETE')
        expect(
          e.params.every((p) => p.in === 'query'),
          e.id,
        ).toBe(true)
      else
        expect(
          e.params.every((p) => p.in === 'body'),
          e.id,
        ).toBe(true)
      if (e.list) expect(e.columns?.length, e.id).toBeGreaterThan(0)
      expect(e.summary.length, e.id).toBeGreaterThan(0)
    }
  })

  it('fills path templates, refusing any value that would change the route', () => {
    const subscriber = endpoints.find((e) => e.id === 'billing_templates.clients.update')!
    expect(pathParams(subscriber)).toEqual(['id', 'client_id'])
    expect(buildPath(subscriber, {id: 'bt-1', client_id: 'btc-a1b2c3d4-e5f6-7890'})).toBe('/billing_templates/bt-1/clients/btc-a1b2c3d4-e5f6-7890/')
    expect(() => buildPath(subscriber, {id: 'bt-1', client_id: 'a/../b'})).toThrow('CLIENT_ID: "a/../b" is not an id: it contains "/".')
    expect(() => buildPath(subscriber, {id: 'bt-1'})).toThrow('CLIENT_ID: must not be empty.')
    expect(() => buildPath(subscriber, {id: '..', client_id: 'c'})).toThrow('ID: ".." is not an id.')
    const purchase = endpoints.find((e) => e.id === 'purchases.refund')!
    expect(() => buildPath(purchase, {id: 'not-a-uuid'})).toThrow('ID: "not-a-uuid" is not a UUID')
    expect(() => buildPath(purchase, {id: 'd6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e%2F'})).toThrow('contains "%"')
  })
})
