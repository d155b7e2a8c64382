/** The webhook schemes (the registry, registry.ts), and raw HTTP requests read from files. */
import {UsageError} from '../shared/errors.js'
import type {Scheme, WebhookRequest} from './types.js'

export {SCHEME_NAMES, type SchemeName, type SchemeSettings} from './catalog.js'

export {SCHEMES, buildScheme} from './registry.js'

/**
 * A request as captured (`nc -l`, a proxy log): an optional request line,
 * header lines, a blank line, the body bytes as they are.
 */
export function parseRawRequest(raw: Buffer): WebhookRequest {
  let end = raw.indexOf('\r\n\r\n')
  let separator = 4
  if (end === -1) {
    end = raw.indexOf('\n\n')
    separator = 2
  }
  if (end === -1)
    throw new UsageError(
      '--request has no blank line between the headers and the body',
      'Save the request as captured: headers, an empty line, then the body.',
    )
  const headers: Record<string, string> = {}
  for (const [index, line] of raw.subarray(0, end).toString('latin1').split(/\r?\n/).entries()) {
    if (index === 0 && /^[A-Z]+ \S+ HTTP\/\d/.test(line)) continue
    const at = line.indexOf(':')
    if (at <= 0) throw new UsageError(`--request: "${line}" is not a "Name: value" header line`, 'Check the captured request.')
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim()
  }
  return {headers, body: raw.subarray(end + separator)}
}

export type {Scheme, WebhookRequest}
