/** A webhook receiver on 127.0.0.1:0 that records every request and answers as told, and a bounded wait. */
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface Hit {
  path: string
  headers: Record<string, string | undefined>
  body: Buffer
  at: number
}

export async function receiver(answer: (hit: Hit) => {status: number; body?: unknown}) {
  const hits: Hit[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const hit = {
        path: request.url ?? '',
        headers: request.headers as Record<string, string | undefined>,
        body: Buffer.concat(chunks),
        at: performance.now(),
      }
      const {status, body} = answer(hit)
      if (!hit.path.endsWith('/oauth/token')) hits.push(hit)
      response.writeHead(status, {'content-type': 'application/json'}).end(body === undefined ? '' : JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {hits, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve))}
}

export {until} from '../helpers/wait.js'
