/**
 * The one rule for URLs that carry a secret or come from outside.
 *
 * The WHATWG URL parser is forgiving: it drops leading spaces, tabs and line
 * breaks anywhere (` http://h/`, `ht\ttp://h/`), reads `\` as `/` in http(s)
 * URLs (`\\h/x`, `http:\\h/x`), and reads `http:h/x` as relative against an
 * http base but as the host `h` against an https one. Each of those spellings
 * once sent the API key to another host. So a reference is accepted only when
 * it says plainly what it is (no controls, spaces or backslashes; a scheme
 * only as `http://` or `https://`), and then the final, resolved URL is
 * checked, since that is what a request goes to.
 */

/** C0 and C1 controls, space, DEL and the backslash: never in a URL we send a secret to. */
const AMBIGUOUS = /[\u0000-\u0020\u007f-\u009f\\]/

/** A reference that names a scheme (`http:`, `file:`, `javascript:`). */
const HAS_SCHEME = /^[a-z][a-z\d+.-]*:/i

/** An absolute http(s) URL written plainly, or undefined. */
export function parseHttpUrl(text: string): URL | undefined {
  if (AMBIGUOUS.test(text) || !/^https?:\/\/[^/]/i.test(text)) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  // user:password@ is how `http://gate@evil/` once looked like the gateway's host to a person.
  return url.hostname === '' || url.username !== '' || url.password !== '' ? undefined : url
}

/** Why a reference does not stay under a base, or undefined when it does. */
export type OutsideBase = 'ambiguous' | 'host' | 'scheme' | 'credentials' | 'origin' | 'path'

export interface Resolved {
  url?: URL
  problem?: OutsideBase
}

/**
 * Resolves `reference` against `base` and keeps it only when the result has
 * the base's origin, carries no user:password, and its path lies under the
 * base's path (`/api/v1/…` for `https://gate/api/v1/`; `..` and `%2e%2e` are
 * resolved before the check). A reference starting with `/` is taken
 * relative to the origin (a link, as `next` links are written); use
 * `underBase()` for paths typed relative to the base.
 */
export function resolveWithin(base: URL, reference: string): Resolved {
  if (AMBIGUOUS.test(reference)) return {problem: 'ambiguous'}
  let url: URL
  if (HAS_SCHEME.test(reference)) {
    const absolute = parseHttpUrl(reference)
    if (!absolute) return {problem: 'scheme'}
    url = absolute
  } else {
    try {
      url = new URL(reference, base)
    } catch {
      return {problem: 'ambiguous'}
    }
  }
  if (url.username !== '' || url.password !== '') return {problem: 'credentials'}
  if (url.origin !== base.origin) return {problem: 'origin'}
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`
  if (url.pathname !== basePath.slice(0, -1) && !url.pathname.startsWith(basePath)) return {problem: 'path'}
  return {url}
}

/** A path typed relative to the base (`/purchases/`, `purchases/`), or an absolute URL under it. */
export function underBase(base: URL, path: string): Resolved {
  if (AMBIGUOUS.test(path) || HAS_SCHEME.test(path)) return resolveWithin(base, path)
  // `//host/x` is a network-path reference, another host to a URL parser: refused rather than guessed.
  if (path.startsWith('//')) return {problem: 'host'}
  return resolveWithin(base, path.replace(/^\//, ''))
}

/** What a refused reference looks like to a person, for error messages. */
export function describeProblem(problem: OutsideBase, base: URL): string {
  switch (problem) {
    case 'ambiguous':
      return 'it holds a space, control character or backslash, which URL parsers read in different ways'
    case 'host':
      return 'a path starting with // names a host'
    case 'scheme':
      return 'the only schemes accepted are written http:// or https://'
    case 'credentials':
      return 'it carries a user name or password'
    case 'origin':
      return `it leads away from ${base.origin}`
    case 'path':
      return `it leads outside ${base.pathname}`
  }
}
