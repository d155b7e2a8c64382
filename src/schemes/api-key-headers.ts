/** `api-key-headers` (UMM Services' webhook document): up to five configured header name/value pairs, all present and equal. */
import {UsageError} from '../shared/errors.js'
import {type Scheme, safeEqual} from './types.js'
import {UMM_REQUEST_HEADERS} from './umm-services.js'

import {MAX_API_KEY_HEADERS} from './catalog.js'

export function apiKeyHeadersScheme(pairs: ReadonlyArray<[string, string]>): Scheme {
  if (pairs.length === 0) throw new UsageError('api-key-headers needs at least one header', 'Pass --header "name:value" (up to five).')
  if (pairs.length > MAX_API_KEY_HEADERS) {
    throw new UsageError(
      `api-key-headers takes at most ${MAX_API_KEY_HEADERS} headers, not ${pairs.length}`,
      'UMM Services sends up to five API key headers: drop the extra ones.',
    )
  }
  const expected = pairs.map(([name, value]) => [name.toLowerCase(), value] as const)
  return {
    name: 'api-key-headers',
    headers: [...expected.map(([name]) => name), ...UMM_REQUEST_HEADERS],
    verify(request) {
      // Every header is compared, even after a mismatch, so the time taken does not tell which one failed.
      let problem: string | undefined
      for (const [name, value] of expected) {
        const received = request.headers[name]
        const equal = safeEqual(received ?? '', value)
        if (!problem && received === undefined) problem = `missing header ${name}`
        else if (!problem && !equal) problem = `header ${name} has the wrong value`
      }
      return problem ? {ok: false, reason: problem} : {ok: true}
    },
    sign: () => Object.fromEntries(expected),
  }
}
