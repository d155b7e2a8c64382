/** `relay start --redis`: one Redis or a Sentinel set, parsed once; a bad value is a usage error naming the fix, never echoing a password. */
import {describe, expect, it} from 'vitest'

import {describeRedisTarget, parseRedisTarget} from '../../src/relay/redis-target.js'

describe('parseRedisTarget', () => {
  it('takes redis:// and rediss:// as node-redis does', () => {
    expect(parseRedisTarget('redis://10.0.0.5:6379')).toEqual({kind: 'single', url: 'redis://10.0.0.5:6379'})
    expect(describeRedisTarget(parseRedisTarget('rediss://user:s3cret@cache.example:6380/2'))).toBe('redis rediss://user:***@cache.example:6380/2')
  })

  it('takes a Sentinel set: several hosts, default port 26379, IPv6, credentials for the data nodes', () => {
    expect(parseRedisTarget('redis+sentinel://10.0.0.5:26380,10.0.0.6,[::1]:26381/mymaster')).toEqual({
      kind: 'sentinel',
      master: 'mymaster',
      sentinels: [
        {host: '10.0.0.5', port: 26_380},
        {host: '10.0.0.6', port: 26_379},
        {host: '::1', port: 26_381},
      ],
    })
    const target = parseRedisTarget('redis+sentinel://app:p%40ss@s1.internal:26379/cache')
    expect(target).toMatchObject({username: 'app', password: 'p@ss', master: 'cache'})
    expect(describeRedisTarget(target)).toBe('redis sentinel cache via s1.internal:26379')
    expect(describeRedisTarget(parseRedisTarget('redis+sentinel://[::1]/m'))).toBe('redis sentinel m via [::1]:26379')
  })

  it.each([
    ['http://10.0.0.5:6379', 'unknown scheme'],
    ['10.0.0.5:6379', 'unknown scheme'],
    ['redis+sentinel://10.0.0.5:26379', 'names no master'],
    ['redis+sentinel://10.0.0.5:26379/', 'names no master'],
    ['redis+sentinel://10.0.0.5:99999/m', '"10.0.0.5:99999" is not a sentinel'],
    ['redis+sentinel://10.0.0.5:26379,,10.0.0.6/m', '"" is not a sentinel'],
    ['redis+sentinel://a b/m', '"a b" is not a sentinel'],
    ['redis://', 'is not a URL'],
  ])('refuses %s (%s)', (text, problem) => {
    expect(() => parseRedisTarget(text)).toThrow(problem)
  })

  it('never repeats a password in its error', () => {
    expect(() => parseRedisTarget('redis+sentinel://u:topsecret@h1:1/')).toThrow(/u:\*\*\*@h1/)
    try {
      parseRedisTarget('redis+sentinel://u:topsecret@h1:1/')
    } catch (error) {
      expect(String(error)).not.toContain('topsecret')
    }
  })
})
