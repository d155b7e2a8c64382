/** The sandbox's HTTP plumbing: answers, bodies, JSON at the door, and the test key. */
import type {IncomingMessage, ServerResponse} from 'node:http'

import {SandboxError, badRequest} from './errors.js'
import {readBody as readWholeBody} from '../shared/http-body.js'

const TEST_KEY = /^sk_test_[A-Za-z0-9_-]{1,200}$/

export function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    response.writeHead(status, headers)
    response.end()
    return
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  response.writeHead(status, {'content-type': 'application/json', ...headers})
  response.end(text)
}

export function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, {'content-type': 'text/html; charset=utf-8'})
  response.end(html)
}

export function redirect(response: ServerResponse, location: string): void {
  response.writeHead(303, {location})
  response.end()
}

export class BodyTooLarge extends Error {}

/** The whole body (shared/http-body.ts, as the listener and the relay read theirs); over `limit`, BodyTooLarge (a 413). */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const body = await readWholeBody(request, limit)
  if (!body) throw new BodyTooLarge()
  return body
}

/** The deepest a request body may nest: the documented bodies reach 4 (purchase.products[].name); 32 leaves room and keeps every later JSON.stringify (saving, answering) far from the stack's limit. */
const MAX_NESTING = 32

/** Refuses a body nested deeper than MAX_NESTING (walked without recursion, so the check itself cannot overflow). */
function checkNesting(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== 'object' || current === null) continue
    if (depth > MAX_NESTING) throw badRequest({non_field_errors: [`JSON nested deeper than ${MAX_NESTING} levels.`]})
    for (const child of Array.isArray(current) ? current : Object.values(current))
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
  }
}

/** A request body as a JSON object (empty: {}), or 400. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw.toString('utf8'))
  } catch (error) {
    throw badRequest({non_field_errors: [`JSON parse error - ${(error as Error).message}`]})
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest({non_field_errors: ['Expected a JSON object.']})
  checkNesting(parsed)
  return parsed as Record<string, unknown>
}

/** The request's test key, or 401 (live keys are refused by name). */
export function bearer(request: IncomingMessage): string {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')
  const key = match?.[1]
  if (key?.startsWith('sk_live_')) {
    throw new SandboxError(401, {
      error: 'invalid_api_key',
      message: 'The sandbox is test mode only: live keys (sk_live_*) are refused. Use a test key (sk_test_*).',
    })
  }
  if (!key || !TEST_KEY.test(key)) throw new SandboxError(401, {error: 'invalid_api_key', message: 'The API key is missing, malformed, or revoked.'})
  return key
}
