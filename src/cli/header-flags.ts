/** Header-bearing flags as people type them: `--headers "Name: value"`, `--verify-header`, `--forward-auth …`. */
import {UsageError} from '../api/errors.js'
import {OAuth2TokenSource} from '../webhooks/schemes/oauth2.js'
import {SCHEMES} from '../webhooks/schemes/registry.js'

/** Parses a `Name: value` header given with `flag`; the name lower-cased, as Node reports received headers. */
export function parseHeader(text: string, flag = '--headers'): [string, string] {
  const at = text.indexOf(':')
  const name = text.slice(0, at).trim()
  if (at <= 0 || !/^[!#$%&'*+\-.^_`|~\w]+$/.test(name)) throw new UsageError(`${flag} "${text}" is not "Name: value"`, `Write it as ${flag} "X-Env: dev".`)
  return [name.toLowerCase(), text.slice(at + 1).trim()]
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
      Object.assign(headers, SCHEMES.basic.build({username: rest[0], password: rest.slice(1).join(':')}).sign(Buffer.alloc(0)))
    } else if (kind === 'header' && rest.length >= 2) {
      const [name, headerValue] = parseHeader(detail, '--forward-auth header:')
      headers[name] = headerValue
    } else if (kind === 'oauth2') {
      const [tokenUrl, clientId, clientSecret, scope] = detail.split(',')
      if (!tokenUrl || !clientId || !clientSecret || !/^https?:\/\//.test(tokenUrl)) {
        throw new UsageError(`--forward-auth "${value}" is not oauth2:TOKEN_URL,CLIENT_ID,CLIENT_SECRET[,SCOPE]`, 'E.g. --forward-auth oauth2:http://localhost:3000/oauth/token,my-id,my-secret.')
      }
      tokens = new OAuth2TokenSource({tokenUrl, clientId, clientSecret, scope})
    } else {
      throw new UsageError(`--forward-auth "${value}" is not basic:USER:PASS, header:NAME:VALUE or oauth2:TOKEN_URL,CLIENT_ID,CLIENT_SECRET[,SCOPE]`, 'See `ummah webhooks listen --help`.')
    }
  }
  return {headers, tokens}
}
