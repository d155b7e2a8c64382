/** The relay's answers: JSON bodies with `{error: {code, message}}` on failure, and refusals of a WebSocket upgrade. */
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Duplex} from 'node:stream'

import {readBody} from '../shared/http-body.js'

/** `drop`: the request's body is not read: after the answer, what is left of it is thrown away, within bounds (discardUnread). */
export type Reply = {status: number; body: unknown; headers?: Record<string, string>; drop?: boolean}

export const errorReply = (status: number, code: string, message: string, headers?: Record<string, string>): Reply => ({
  status,
  body: {error: {code, message}},
  headers,
})

export const NOT_FOUND = errorReply(404, 'not_found', 'Not found')

const ADMIN_BODY_BYTES = 16 * 1024

export function send(response: ServerResponse, reply: Reply): void {
  response.writeHead(reply.status, {'content-type': 'application/json', ...reply.headers})
  response.end(JSON.stringify(reply.body))
}

export function refuse(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({error: text})
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

/** An admin request's JSON object (16 KiB at most), or undefined. */
export async function jsonBody(request: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const body = await readBody(request, ADMIN_BODY_BYTES)
  if (!body || body.length === 0) return undefined
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
