/**
 * `sha1-password` (numipay-gateway.txt): x-signature is the upper-case hex
 * SHA-1 of the payload's compact JSON serialisation followed by the shared
 * signature password.
 */
import {createHash} from 'node:crypto'

import {type Scheme, safeEqual} from './types.js'

export function sha1PasswordSignature(body: Buffer, password: string): string {
  const compact = JSON.stringify(JSON.parse(body.toString('utf8')))
  return createHash('sha1')
    .update(compact + password)
    .digest('hex')
    .toUpperCase()
}

export function sha1PasswordScheme(options: {password: string}): Scheme {
  return {
    name: 'sha1-password',
    headers: ['x-signature'],
    verify(request) {
      const received = request.headers['x-signature']?.trim()
      if (!received) return {ok: false, reason: 'no x-signature header'}
      if (!/^[0-9A-Fa-f]{40}$/.test(received)) return {ok: false, reason: 'x-signature is not 40 hex digits (a SHA-1)'}
      let expected: string
      try {
        expected = sha1PasswordSignature(request.body, options.password)
      } catch {
        return {ok: false, reason: 'the body is not JSON, so there is no payload to hash'}
      }
      return safeEqual(received.toUpperCase(), expected)
        ? {ok: true}
        : {ok: false, reason: 'the signature does not match: the payload was modified, or the password is wrong'}
    },
    sign: (body) => ({'x-signature': sha1PasswordSignature(body, options.password)}),
  }
}
