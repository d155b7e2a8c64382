/** `relay start`'s text lines for what the store says: a failover and a delivery no replica confirmed, as an operator reads them. */
import {describe, expect, it} from 'vitest'

import {formatRelayLine} from '../../src/cli/relay-output.js'

describe('relay start lines', () => {
  it('says a Sentinel failover with the new master, and a 503 for want of a replica with why', () => {
    expect(formatRelayLine({type: 'store', event: 'failed-over', master: '10.0.0.6:6379'})).toMatch(
      /^\d\d:\d\d:\d\d {2}store: failed over to 10\.0\.0\.6:6379$/,
    )
    expect(formatRelayLine({type: 'ingress-failed', channel: 'team', error: '0 of 1 Redis replica confirmed the entry within 1000 ms'})).toMatch(
      / {2}! team: not stored \(0 of 1 Redis replica confirmed the entry within 1000 ms\); answered 503$/,
    )
  })

  it('puts the start-up warning between the address and Ready', () => {
    const text = formatRelayLine({
      type: 'ready',
      url: 'http://127.0.0.1:8430',
      public_url: 'https://relay.example.com',
      store: 'redis sentinel mymaster via 10.0.0.5:26379',
      warning: '--redis-replicas 0: a failover can lose entries the old master had answered for but not yet replicated',
    })
    expect(text.split('\n')).toEqual([
      'Relay listening on http://127.0.0.1:8430 (store: redis sentinel mymaster via 10.0.0.5:26379)',
      'Ingress URLs are built on https://relay.example.com',
      'Warning: --redis-replicas 0: a failover can lose entries the old master had answered for but not yet replicated',
      'Ready. Press Ctrl-C to stop.',
    ])
  })
})
