/** `--forward`: the URL each written form becomes; without a scheme a target never leaves this machine. */
import {describe, expect, it} from 'vitest'

import {parseForwardTarget} from '../../src/webhooks/forward-target.js'
import {parseHeader} from '../../src/cli/header-flags.js'

// The README's table of accepted forms is this table.
const accepted: Array<[string, string]> = [
  ['3000', 'http://localhost:3000/'],
  [':3000', 'http://localhost:3000/'],
  ['3000/webhook', 'http://localhost:3000/webhook'],
  ['8080/hooks', 'http://localhost:8080/hooks'],
  [':3000/webhook', 'http://localhost:3000/webhook'],
  ['3000?team=a', 'http://localhost:3000/?team=a'],
  ['localhost:3000/x?y=1', 'http://localhost:3000/x?y=1'],
  ['app.localhost:3000/x', 'http://app.localhost:3000/x'],
  ['127.0.0.1:3000', 'http://127.0.0.1:3000/'],
  ['127.0.0.2:3000/hooks', 'http://127.0.0.2:3000/hooks'],
  ['[::1]:3000', 'http://[::1]:3000/'],
  ['[::1]:3000/x', 'http://[::1]:3000/x'],
  [' localhost:3000 ', 'http://localhost:3000/'],
  ['http://10.0.0.5:80/x', 'http://10.0.0.5/x'],
  ['https://hooks.example.com/ummah?team=a', 'https://hooks.example.com/ummah?team=a'],
  ['https://127.0.0.1:8443/hooks?team=a', 'https://127.0.0.1:8443/hooks?team=a'],
  ['HTTP://LOCALHOST:3000/Hook', 'http://localhost:3000/Hook'],
]

const refused: Array<[string, RegExp]> = [
  ['10.0.0.5:80/x', /^--forward "10\.0\.0\.5:80\/x" is not on this machine$/],
  ['example.com:3000', /is not on this machine$/],
  ['192.168.1.10:3000/webhook', /is not on this machine$/],
  ['0x7f.1:3000', /is not on this machine$/],
  ['127.0.0.300:3000', /is not on this machine$/],
  ['http://3000/webhook', /reads as the address 0\.0\.11\.184$/],
  ['http://2130706433/', /reads as the address 127\.0\.0\.1$/],
  ['garbage!', /is not a port, a host:port on this machine or a URL$/],
  ['', /is not a port/],
  ['localhost:3000:4000', /is not a port/],
  [':0', /has port 0: ports are 1 to 65535$/],
  ['0/webhook', /has port 0/],
  ['70000', /has port 70000/],
  ['localhost:65536', /has port 65536/],
  ['http://localhost:0/', /has port 0/],
  ['ftp://localhost:3000/', /uses ftp:, not http or https$/],
  ['file:///etc/passwd', /uses file:/],
]

describe('--forward', () => {
  it.each(accepted)('%j becomes %s', (text, href) => {
    expect(parseForwardTarget(text).href).toBe(href)
  })

  it.each(refused)('%j is refused', (text, message) => {
    expect(() => parseForwardTarget(text)).toThrow(message)
  })

  it('says how to write a target off the machine', () => {
    expect(() => parseForwardTarget('10.0.0.5:80/x')).toThrow(
      expect.objectContaining({exitCode: 2, hint: expect.stringContaining('--forward http://10.0.0.5:80/x')}),
    )
    expect(() => parseForwardTarget('http://3000/webhook')).toThrow(
      expect.objectContaining({hint: expect.stringContaining('--forward http://localhost:3000/webhook')}),
    )
  })

  it('parses --headers', () => {
    expect(parseHeader('X-Env: dev')).toEqual(['x-env', 'dev'])
    expect(() => parseHeader('nonsense')).toThrow(/"Name: value"/)
  })
})
