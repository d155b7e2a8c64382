/**
 * The one router of the sandbox and the relay (shared/path-template.ts):
 * its tables are read once, and it must answer exactly as the plain reading
 * of the templates does, for every route, method and spelling of a path.
 */
import {describe, expect, it} from 'vitest'

import {endpoints} from '../../src/api/endpoints.js'
import {RELAY_ROUTES, matchRoute} from '../../src/relay/routes.js'
import {findRoute} from '../../src/shared/path-template.js'

type Route = {readonly method: string; readonly path: string}

/** The rule read plainly, route by route: what findRoute answered before its tables were compiled. */
function plainFind<R extends Route>(routes: readonly R[], method: string | undefined, path: string) {
  const decode = (segment: string) => {
    try {
      return decodeURIComponent(segment)
    } catch {
      return ''
    }
  }
  const valuesOf = (template: string) => {
    const parts = template.split('/').filter(Boolean)
    const segments = path.split('/').filter(Boolean)
    if (parts.length !== segments.length) return undefined
    const values: Record<string, string> = {}
    for (const [index, part] of parts.entries()) {
      const name = /^\{(\w+)\}$/.exec(part)?.[1]
      if (name) values[name] = decode(segments[index])
      else if (part !== segments[index]) return undefined
    }
    return values
  }
  const count = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].length
  const matching = routes
    .map((route) => ({route, params: valuesOf(route.path)}))
    .filter((candidate): candidate is {route: R; params: Record<string, string>} => candidate.params !== undefined)
    .sort((a, b) => count(a.route.path) - count(b.route.path))
  if (matching.length === 0) return {kind: 'none'}
  const found = matching.find(({route}) => route.method === method)
  if (found) return {kind: 'route', ...found}
  return {kind: 'method', ...matching[0], allow: [...new Set(matching.map(({route}) => route.method))]}
}

const VALUES = ['p-1', 'deliveries', 'tokens', '..', '%2E%2E', 'a%2Fb', '%E0%A4%A', 'caf%C3%A9', 'x y']
const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', undefined]

/** Paths for a table: each template filled with each value, with and without its trailing slash, one segment more and one less. */
function pathsFor(routes: readonly Route[]): string[] {
  const paths = new Set<string>(['/', '', '/nothing/here/', '//purchases//'])
  for (const {path} of routes) {
    for (const value of VALUES) {
      const filled = path.replaceAll(/\{\w+\}/g, value)
      paths.add(filled)
      paths.add(filled.endsWith('/') ? filled.slice(0, -1) : `${filled}/`)
      paths.add(`${filled}/extra/`)
      paths.add(filled.split('/').slice(0, -2).join('/') || '/')
    }
  }
  return [...paths]
}

describe('findRoute', () => {
  const relayRoutes = Object.values(RELAY_ROUTES)
  it.each([
    ['the endpoint table', endpoints as readonly Route[]],
    ["the relay's routes", relayRoutes as readonly Route[]],
  ])('answers as the plain reading of %s does, for every route, method and spelling of a path', (_, routes) => {
    const paths = pathsFor(routes)
    expect(paths.length).toBeGreaterThan(routes.length * 10)
    let routed = 0
    let refused = 0
    for (const path of paths)
      for (const method of METHODS) {
        const found = findRoute(routes, method, path)
        expect(found, `${method} ${path}`).toEqual(plainFind(routes, method, path))
        if (found.kind === 'route') routed++
        if (found.kind === 'method') refused++
      }
    // The comparison covers all three answers, not only "none".
    expect(routed).toBeGreaterThan(routes.length)
    expect(refused).toBeGreaterThan(0)
  })

  it('a fixed segment wins over a placeholder; a path of another method is 405 with the methods it has', () => {
    expect(findRoute(endpoints, 'GET', '/webhooks/deliveries/')).toMatchObject({kind: 'route', route: {id: 'webhooks.deliveries'}, params: {}})
    expect(findRoute(endpoints, 'GET', '/webhooks/wh-1/')).toMatchObject({kind: 'route', params: {id: 'wh-1'}})
    const refused = findRoute(endpoints, 'PUT', '/purchases/p-1/')
    expect(refused.kind === 'method' && refused.allow).toEqual(
      endpoints.filter((endpoint) => endpoint.path === '/purchases/{id}/').map((endpoint) => endpoint.method),
    )
    expect(findRoute(endpoints, 'GET', '/purchases/caf%C3%A9/')).toMatchObject({params: {id: 'café'}})
    expect(findRoute(endpoints, 'GET', '/purchases/%E0%A4%A/')).toMatchObject({params: {id: ''}})
  })

  it("the relay's routes by name: ingress, a 405, nothing", () => {
    expect(matchRoute('POST', '/in/team/secret')).toEqual({kind: 'route', name: 'ingress', params: {channel: 'team', secret: 'secret'}})
    expect(matchRoute('GET', '/in/team/secret')).toEqual({
      kind: 'method',
      name: 'ingress',
      params: {channel: 'team', secret: 'secret'},
      allow: ['POST'],
    })
    expect(matchRoute('GET', '/v1/channels/team/tokens')).toEqual({kind: 'method', name: 'createToken', params: {channel: 'team'}, allow: ['POST']})
    expect(matchRoute('GET', '/in/team')).toEqual({kind: 'none'})
  })
})
