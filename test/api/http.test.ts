/**
 * The node:http transport under the API client and statement downloads,
 * against real servers on 127.0.0.1: keep-alive reuse, close releasing the
 * sockets, and a body cut short mid-download.
 */
import {existsSync, readdirSync} from 'node:fs'
import {type Server, createServer} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {createTransport, readText} from '../../src/api/http.js'
import {downloadTo} from '../../src/api/statements.js'
import {tempDir} from '../helpers/cli.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{origin: string; sockets: Socket[]}> {
  const server = createServer(handler)
  const sockets: Socket[] = []
  server.on('connection', (socket) => sockets.push(socket))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets}
}

describe('http transport', () => {
  it('reuses one keep-alive connection for requests in sequence, and close() releases it', async () => {
    const {origin, sockets} = await serve((request, response) => response.end(`${request.method} ${request.url}`))
    const transport = await createTransport()
    for (const path of ['/a', '/b', '/c']) {
      const response = await transport.request(new URL(path, origin), {method: 'GET'})
      expect(await readText(response.body)).toBe(`GET ${path}`)
    }
    expect(sockets).toHaveLength(1)
    transport.close()
    await new Promise((resolve) => sockets[0].once('close', resolve))
    expect(sockets[0].destroyed).toBe(true)
  })

  it('sends the body and headers it is given', async () => {
    const {origin} = await serve((request, response) => {
      let body = ''
      request.on('data', (chunk) => (body += chunk))
      request.on('end', () => response.end(JSON.stringify({body, type: request.headers['content-type']})))
    })
    const transport = await createTransport()
    const response = await transport.request(new URL('/p', origin), {method: 'POST', headers: {'content-type': 'application/json'}, body: '{"a":1}'})
    expect(JSON.parse(await readText(response.body))).toEqual({body: '{"a":1}', type: 'application/json'})
    transport.close()
  })

  it('reports a download cut short as truncated, with the network exit code, and leaves no file', async () => {
    const {origin} = await serve((_request, response) => {
      response.writeHead(200, {'content-length': '1000'})
      response.write('x'.repeat(100), () => response.destroy())
    })
    const dir = tempDir('ummah-http-')
    const target = join(dir, 'statement.csv')
    await expect(downloadTo(`${origin}/file.csv`, target, {timeoutMs: 5000})).rejects.toMatchObject({code: 'download_truncated', exitCode: 7})
    expect(existsSync(target)).toBe(false)
    expect(readdirSync(dir)).toEqual([])
  })
})
