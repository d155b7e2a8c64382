/** Header-bearing flags as people type them: `--headers "Name: value"`, `--verify-header`, `--forward-auth …`. */
import {UsageError} from '../shared/errors.js'
import {HOP_BY_HOP} from '../shared/http-body.js'
import {OAuth2TokenSource} from '../schemes/oauth2.js'
import {basicScheme} from '../schemes/basic.js'

/**
 * Parses a `Name: value` header given with `flag`; the name lower-cased, as
 * Node reports received headers. A value holding a control character (CR, LF,
 * NUL: a second header or a split request) is refused here, at start, rather
 * than failing every forward later.
 */
export function parseHeader(text: string, flag = '--headers'): [string, string] {
  const at = text.indexOf(':')
  const name = text.slice(0, at).trim()
  if (at <= 0 || !/^[!#$%&'*+\-.^_`|~\w]+$/.test(name))
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not "Name: value"`, `Write it as ${flag} "X-Env: dev".`)
  const value = text.slice(at + 1).trim()
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value))
    throw new UsageError(
      `${flag} ${JSON.stringify(text)}: a header value cannot hold a line break or control character`,
      'Give the value on one line.',
    )
  return [name.toLowerCase(), value]
}

/** A header `listen` adds to every forward (`--headers`, `--forward-auth header:`): never one of a hop or of the framing, which the forwarder owns. */
export function parseForwardHeader(text: string, flag = '--headers'): [string, string] {
  const [name, value] = parseHeader(text, flag)
  if (HOP_BY_HOP.has(name))
    throw new UsageError(
      `${flag} cannot set ${name}: the forwarder sets it for each connection`,
      'Drop it; only end-to-end headers (e.g. "X-Env: dev") can be added.',
    )
  return [name, value]
}

/**
 * `--forward-auth`, the authentication the local app expects:
 * `basic:USER:PASS`, `header:NAME:VALUE` (repeatable) or
 * `oauth2:TOKEN_URL,CLIENT_ID,CLIENT_SECRET[,SCOPE]`.
 */
export function parseForwardAuth(values: readonly string[]): {headers: Record<string, string>; tokens?: OAuth2TokenSource} {
  const headers: Record<string, string> = {}
  let tokens: OAuth2TokenSource | undefined
  for (const value of values) {
    const [kind, ...rest] = value.split(':')
    const detail = rest.join(':')
    if (kind === 'basic' && rest.length >= 2) {
      Object.assign(headers, basicScheme({username: rest[0], password: rest.slice(1).join(':')}).sign(Buffer.alloc(0)))
    } else if (kind === 'header' && rest.length >= 2) {
      const [name, headerValue] = parseForwardHeader(detail, '--forward-auth header:')
      headers[name] = headerValue
    } else if (kind === 'oauth2') {
      const [tokenUrl, clientId, clientSecret, scope] = detail.split(',')
      if (!tokenUrl || !clientId || !clientSecret || !/^https?:\/\//.test(tokenUrl)) {
        throw new UsageError(
          `--forward-auth "${value}" is not oauth2:TOKEN_URL,CLIENT_ID,CLIENT_SECRET[,SCOPE]`,
          'E.g. --forward-auth oauth2:http://localhost:3000/oauth/token,my-id,my-secret.',
        )
      }
      tokens = new OAuth2TokenSource({tokenUrl, clientId, clientSecret, scope})
    } else {
      throw new UsageError(
        `--forward-auth "${value}" is not basic:USER:PASS, header:NAME:VALUE or oauth2:TOKEN_URL,CLIENT_ID,CLIENT_SECRET[,SCOPE]`,
        'See `ummah webhooks listen --help`.',
      )
    }
  }
  return {headers, tokens}
}
