/** The webhook schemes by name, built from command-line options; and raw HTTP requests read from files. */
import {UsageError} from '../../api/errors.js'
import {apiKeyHeadersScheme} from './api-key-headers.js'
import {basicScheme} from './basic.js'
import {bearerScheme} from './oauth2.js'
import {rsaSha256Scheme} from './rsa-sha256.js'
import {sha1PasswordScheme} from './sha1-password.js'
import type {Scheme, WebhookRequest} from './types.js'
import {ummServicesScheme} from './umm-services.js'

import type {SchemeName} from './names.js'

export {SCHEME_NAMES, type SchemeName} from './names.js'

export interface SchemeOptions {
  publicKey?: string
  secret?: string
  username?: string
  password?: string
  headers?: Array<[string, string]>
  clientKey?: string
  /** oauth2, offline: the bearer to expect. */
  token?: string
}

function need<T>(value: T | undefined, scheme: string, flag: string): T {
  if (value === undefined || value === '') throw new UsageError(`--scheme ${scheme} needs ${flag}`, `Pass ${flag}.`)
  return value
}

export function buildScheme(name: SchemeName, options: SchemeOptions): Scheme {
  switch (name) {
    case 'rsa-sha256':
      return rsaSha256Scheme({publicKey: need(options.publicKey, name, '--public-key or --webhook-id')})
    case 'sha1-password':
      return sha1PasswordScheme({password: need(options.secret, name, '--secret')})
    case 'basic':
      return basicScheme({username: need(options.username, name, '--username'), password: need(options.password, name, '--password')})
    case 'api-key-headers':
      return apiKeyHeadersScheme(need(options.headers?.length ? options.headers : undefined, name, '--header "name:value"'))
    case 'umm-services':
      return ummServicesScheme({clientKey: options.clientKey ?? 'CLIENT1'})
    case 'oauth2':
      return bearerScheme(need(options.token, name, '--token'))
  }
}

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
  if (end === -1) throw new UsageError('--request has no blank line between the headers and the body', 'Save the request as captured: headers, an empty line, then the body.')
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
