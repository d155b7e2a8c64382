/** Host names that never leave this machine, for the forward-target parser, proxy routing and hints. */

/**
 * `localhost`, `*.localhost` (RFC 6761), 127.0.0.0/8 and `::1`, as a URL's
 * `hostname` writes them (IPv6 in brackets) or bare.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase()
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  if (name === '[::1]' || name === '::1') return true
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name)
  return octets !== null && octets[1] === '127' && octets.slice(1).every((octet) => Number(octet) <= 255)
}
