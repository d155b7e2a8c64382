/**
 * `--forward` as people type it, one parser for `listen` and `events resend`.
 *
 * Written without a scheme, a target is always on this machine: a port
 * (`3000`, `:3000`, `3000/webhook`) or a loopback `host:port[/path][?query]`
 * (`localhost`, `127.x.x.x`, `[::1]`). Anything that would leave the machine
 * must be written as a full `http(s)://` URL, so it is never reached by
 * accident: WHATWG URL reads `http://3000/webhook` as the IPv4 address
 * 0.0.11.184, which is how a typo once sent signed payloads off the machine.
 */
import {UsageError} from '../shared/errors.js'
import {isLoopbackHost} from '../shared/hosts.js'

const EXAMPLES =
  'Use e.g. --forward 3000/webhook, localhost:3000/webhook or http://127.0.0.1:3000/hooks; a target off this machine needs a full URL, e.g. https://hooks.example.com/ummah.'

/** `host[:port][/path][?query]` without a scheme: host is a name, an IPv4 dotted quad or a bracketed IPv6 address. */
const SHORT_FORM = /^(?<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*)(?::(?<port>\d{1,5}))?(?<rest>[/?].*)?$/

function checkPort(port: string | undefined, text: string): void {
  if (port === undefined) return
  const number = Number(port)
  if (number < 1 || number > 65_535) {
    throw new UsageError(
      `--forward "${text}" has port ${port}: ports are 1 to 65535`,
      'Give the port your app listens on, e.g. --forward localhost:3000/webhook.',
    )
  }
}

function asUrl(candidate: string, text: string): URL {
  try {
    return new URL(candidate)
  } catch {
    throw new UsageError(`--forward "${text}" is not a port, a host:port on this machine or a URL`, EXAMPLES)
  }
}

export function parseForwardTarget(text: string): URL {
  const value = text.trim()
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(value)) {
    const url = asUrl(value, text)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`--forward "${text}" uses ${url.protocol}, not http or https`, EXAMPLES)
    }
    if (!url.hostname) throw new UsageError(`--forward "${text}" has no host`, EXAMPLES)
    // `http://3000/x` and `http://0x7f.1/` are IPv4 shorthands WHATWG URL accepts; nobody means them.
    const written = /^[^:]+:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(value)?.[1] ?? ''
    if (/^\d+(\.\d+){0,3}$/.test(url.hostname) && written.toLowerCase() !== url.hostname) {
      throw new UsageError(
        `--forward "${text}" reads as the address ${url.hostname}`,
        `Write the host in full, e.g. --forward http://localhost:${written}${url.pathname === '/' ? '' : url.pathname}.`,
      )
    }
    checkPort(url.port || undefined, text)
    return url
  }

  // A port alone, or a port and a path: always localhost.
  const portFirst = /^:?(?<port>\d{1,5})(?<rest>[/?].*)?$/.exec(value)
  if (portFirst?.groups) {
    checkPort(portFirst.groups.port, text)
    return asUrl(`http://localhost:${portFirst.groups.port}${portFirst.groups.rest ?? '/'}`, text)
  }

  const short = SHORT_FORM.exec(value)
  if (!short?.groups?.host) throw new UsageError(`--forward "${text}" is not a port, a host:port on this machine or a URL`, EXAMPLES)
  const {host, port, rest} = short.groups
  if (!isLoopbackHost(host)) {
    throw new UsageError(
      `--forward "${text}" is not on this machine`,
      `Written without a scheme, a target is a port or a localhost/127.0.0.1/[::1] address; to forward elsewhere, write the full URL: --forward http://${value}.`,
    )
  }
  checkPort(port, text)
  return asUrl(`http://${host}${port === undefined ? '' : `:${port}`}${rest ?? '/'}`, text)
}
