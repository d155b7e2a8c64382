/** A sandbox on 127.0.0.1:0 for one test file, and a small client for it. */
import {afterAll, beforeAll} from 'vitest'

import {type Sandbox, type SandboxOptions, startSandbox} from '../../src/sandbox/server.js'

export const BRAND = '409eb80e-3782-4b1d-afa8-b779759266a5'

export interface Reply<T = any> {
  status: number
  body: T
  headers: Headers
}

export function clientFor(sandbox: Sandbox, key = 'sk_test_alpha') {
  return async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const url = path.startsWith('http') ? path : path.startsWith('/_sandbox') ? `${sandbox.origin}${path}` : `${sandbox.apiBase}${path}`
    const response = await fetch(url, {
      method,
      headers: {authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers},
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await response.text()
    return {status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers}
  }
}

export type Call = ReturnType<typeof clientFor>

export function purchaseBody(overrides: Record<string, unknown> = {}) {
  return {
    brand_id: BRAND,
    client: {email: 'customer@example.com'},
    purchase: {products: [{name: 'T-Shirt', price: 2999, quantity: 1}], currency: 'USD'},
    ...overrides,
  }
}

export async function paidPurchase(call: Call, overrides: Record<string, unknown> = {}, card = '4242424242424242') {
  const created = await call('POST', '/purchases/', purchaseBody(overrides))
  const paid = await call('POST', `/_sandbox/purchases/${created.body.id}/pay`, {card})
  return paid.body.purchase
}

/** A new client subscribed to the template, its first purchase paid with this card; the client. */
export async function paidSubscriber(call: Call, templateId: string, email: string, card = '4242424242424242') {
  const client = (await call('POST', '/clients/', {email})).body
  const {purchase} = (await call('POST', `/billing_templates/${templateId}/add_subscriber/`, {client_id: client.id})).body
  await call('POST', `/_sandbox/purchases/${purchase.id}/pay`, {card})
  return client
}

export async function withSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({port: 0, retryDelaysMs: [50, 100, 150], statementDelayMs: 0, ...options})
}

/** One sandbox for a test file: started before its tests, closed after them. */
export function useSandbox(options: SandboxOptions = {}): {sandbox: Sandbox; call: Call} {
  const shared = {} as {sandbox: Sandbox; call: Call}
  beforeAll(async () => {
    shared.sandbox = await withSandbox(options)
    shared.call = clientFor(shared.sandbox)
  })
  afterAll(() => shared.sandbox.close())
  return shared
}
