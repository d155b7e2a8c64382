/** Host names that never leave this machine, for the forward-target parser, the forwarder, proxy routing and hints. */

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

/**
 * The addresses to connect to for a host accepted as this machine, without
 * asking DNS: `localhost` and `*.localhost` are 127.0.0.1 then ::1 (RFC 6761
 * says so; a resolver that answers otherwise, or a hosts file, is not asked,
 * since a signed webhook once went wherever the resolver said `my-app.localhost`
 * was). An IP literal is itself; any other name is left to DNS (undefined).
 */
export function loopbackAddresses(hostname: string): string[] | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '')
  if (name === 'localhost' || name.endsWith('.localhost')) return ['127.0.0.1', '::1']
  if (/^\[[0-9a-f:.]+\]$/.test(name)) return [name.slice(1, -1)]
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return [name]
  return undefined
}
