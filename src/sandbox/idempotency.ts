/**
 * Idempotency-Key on POSTs, per account, for 24 hours of the account's clock
 * (the test clock `sandbox advance` moves): the same key and request answers
 * the stored response, the same key with another request is 422, a key whose
 * request is still running is 409.
 */
import {createHash} from 'node:crypto'

import {SandboxError} from './errors.js'
import {type Account, type SandboxStore, nowMs} from './store.js'

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

export interface Answer {
  status: number
  text: string
  replayed?: boolean
}

export class Idempotency {
  private readonly inFlight = new Set<string>()

  constructor(private readonly store: SandboxStore) {}

  async run(apiKey: string, account: Account, key: string, route: string, raw: Buffer, execute: () => Promise<Answer>): Promise<Answer> {
    const fingerprint = createHash('sha256').update(`${route}\n`).update(raw).digest('hex')
    const previous = account.idempotency[key]
    if (previous && nowMs(account) - previous.created_at < IDEMPOTENCY_TTL_MS) {
      if (previous.fingerprint !== fingerprint) {
        throw new SandboxError(422, {
          error: 'idempotency_key_reused',
          message: 'This Idempotency-Key was already used with a different request; use a new key for a new request.',
        })
      }
      return {status: previous.status, text: previous.body, replayed: true}
    }
    const slot = `${apiKey}\n${key}`
    if (this.inFlight.has(slot))
      throw new SandboxError(409, {error: 'idempotency_key_in_use', message: 'A request with this Idempotency-Key is still in progress.'})
    this.inFlight.add(slot)
    try {
      const {status, text} = await execute()
      // A server error is not an answer to keep: the same key tries again.
      if (status < 500) account.idempotency[key] = {fingerprint, status, body: text, created_at: nowMs(account)}
      this.store.changed()
      return {status, text, replayed: false}
    } finally {
      this.inFlight.delete(slot)
    }
  }
}
