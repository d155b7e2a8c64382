/** `basic` (UMM Services' webhook document): Authorization: Basic base64(user:password). */
import {UsageError} from '../shared/errors.js'
import {type Scheme, safeEqual} from './types.js'
import {UMM_REQUEST_HEADERS} from './umm-services.js'

export function basicScheme(options: {username: string; password: string}): Scheme {
  if (options.username.includes(':'))
    throw new UsageError('A Basic username cannot contain ":"', 'The colon separates the username from the password.')
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`
  return {
    name: 'basic',
    headers: ['authorization', ...UMM_REQUEST_HEADERS],
    verify(request) {
      const received = request.headers.authorization?.trim()
      if (!received) return {ok: false, reason: 'no Authorization header'}
      if (!/^basic /i.test(received)) return {ok: false, reason: 'the Authorization header is not Basic'}
      return safeEqual(`Basic ${received.slice(6).trim()}`, expected) ? {ok: true} : {ok: false, reason: 'wrong username or password'}
    },
    sign: () => ({authorization: expected}),
  }
}
