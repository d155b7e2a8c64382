/**
 * The sandbox's state: one account per test key (keyed by the key's SHA-256,
 * so the data file holds no keys), a test clock, and optional persistence to
 * a data file written atomically (temporary file, fsync, rename), so a crash
 * mid-write leaves the previous state intact.
 */
import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'

import {writeJsonAtomic} from '../shared/atomic-file.js'
import type {SandboxDelivery} from './delivery-settings.js'

import type {BillingTemplate, Client, Purchase, Statement, Webhook} from '../api/types.js'

/**
 * The record stored under an id that came from outside (a URL, a body), or
 * undefined: collections are plain objects, so `__proto__`, `constructor` and
 * the like must never reach a prototype.
 */
export function own<T>(collection: Record<string, T>, id: string): T | undefined {
  return Object.hasOwn(collection, id) ? collection[id] : undefined
}
export type PurchaseRecord = Purchase & {
  captured_amount: number
  refunded_amount: number
  paid_on: number | null
  /** Set on a subscription's purchases. */
  billing_template_client_id?: string | null
  send_receipt?: boolean
  /** Set while the customer owes the 3-D Secure step of 4000 0000 0000 3220. */
  three_d_secure_pending?: boolean
  is_test: true
  updated_on: number
}

export interface TokenRecord {
  id: string
  client_id: string
  payment_method: string
  description: string
  created_on: number
  /** Saved from the sandbox's "charges fail later" card: every charge on it is declined. */
  declines: boolean
}

export interface SubscriberRecord {
  id: string
  template_id: string
  client_id: string
  client: {id: string; email: string; full_name?: string | null}
  is_subscription: boolean
  status: string
  next_billing_on: number | null
  cycles_billed: number
  purchase_id: string | null
  created_on: number
}

export interface WebhookRecord extends Webhook {
  private_key: string
  public_key: string
  /** Sandbox-only: how deliveries authenticate and are retried (delivery-settings.ts). */
  sandbox_delivery?: SandboxDelivery
}

export interface DeliveryRecord {
  id: string
  event: string
  event_id: string
  webhook_id: string | null
  url: string
  source_type: string
  source_id: string
  attempt: number
  status: 'delivered' | 'failed' | 'retrying'
  response_code: number | null
  error: string | null
  duration_ms: number
  sent_at: number
  payload: unknown
}

export interface PaymentRecord {
  id: string
  type: 'charge' | 'refund'
  status: string
  purchase: string
  amount: number
  currency: string
  method: string
  reference?: string
  created_on: number
}

export interface StatementRecord extends Statement {
  query_string?: string
  ready_at: number
  file_token: string
}

export interface IdempotencyRecord {
  fingerprint: string
  status: number
  body: string
  created_at: number
}

export interface Account {
  purchases: Record<string, PurchaseRecord>
  clients: Record<string, Client>
  tokens: Record<string, TokenRecord>
  templates: Record<string, BillingTemplate>
  subscribers: Record<string, SubscriberRecord>
  webhooks: Record<string, WebhookRecord>
  deliveries: DeliveryRecord[]
  statements: Record<string, StatementRecord>
  payments: PaymentRecord[]
  idempotency: Record<string, IdempotencyRecord>
  company_key: {public_key: string; private_key: string} | null
  /** Milliseconds this account's test clock runs ahead of the wall clock. */
  clock_offset_ms: number
  /** Clients with a test clock of their own: milliseconds ahead of the account's (absent in data files from before). */
  client_clocks?: Record<string, number>
}

export interface SandboxState {
  version: 1
  accounts: Record<string, Account>
}

export function emptyAccount(): Account {
  return {
    purchases: {},
    clients: {},
    tokens: {},
    templates: {},
    subscribers: {},
    webhooks: {},
    deliveries: [],
    statements: {},
    payments: [],
    idempotency: {},
    company_key: null,
    clock_offset_ms: 0,
    client_clocks: {},
  }
}

export function accountId(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex')
}

export class SandboxStore {
  state: SandboxState
  private saveTimer?: NodeJS.Timeout

  constructor(
    private readonly dataFile?: string,
    /** Told once per failure reason that a save failed (the command prints it); the state stays in memory. */
    private readonly onSaveError: (message: string) => void = () => {},
  ) {
    this.state = dataFile && existsSync(dataFile) ? load(dataFile) : {version: 1, accounts: {}}
  }

  account(apiKey: string): Account {
    const id = accountId(apiKey)
    this.state.accounts[id] ??= emptyAccount()
    return this.state.accounts[id]
  }

  resetAccount(apiKey: string): void {
    this.state.accounts[accountId(apiKey)] = emptyAccount()
    this.changed()
  }

  /** Find a statement by id in any account (its download link carries no key). */
  findStatement(id: string): {account: Account; statement: StatementRecord} | undefined {
    for (const account of Object.values(this.state.accounts)) {
      const statement = own(account.statements, id)
      if (statement) return {account, statement}
    }
    return undefined
  }

  /** Purchases are paid by customers on the checkout page, which carries no key either. */
  findPurchase(id: string): {account: Account; purchase: PurchaseRecord} | undefined {
    for (const account of Object.values(this.state.accounts)) {
      const purchase = own(account.purchases, id)
      if (purchase) return {account, purchase}
    }
    return undefined
  }

  /** How long the last save took, in ms: the next waits 20 times that (at least 25 ms). */
  private lastSaveMs = 0

  /**
   * Marks the state as changed; with a data file, it is written soon after,
   * changes grouped. Saving is a whole-state write, so its spacing grows with
   * the state: 25 ms apart for a small one, and with 100,000 purchases
   * (~150 ms a save) every 3 s, so saving stays under 5% of the time and a
   * busy sandbox is not spent re-serialising itself (at a fixed 25 ms, RSS
   * reached 711 MB and p99 74 ms in the bench). A crash loses at most that
   * last interval; a clean stop saves everything.
   */
  changed(): void {
    if (!this.dataFile || this.saveTimer) return
    this.saveTimer = setTimeout(() => this.flush(), Math.max(25, 20 * this.lastSaveMs))
  }

  /** Writes the data file now, atomically. */
  flush(): void {
    clearTimeout(this.saveTimer)
    this.saveTimer = undefined
    if (!this.dataFile) return
    // Saving runs on a timer: a failure must not take the server (and every account) down, nor leave a temp file behind.
    const started = performance.now()
    try {
      writeJsonAtomic(this.dataFile, this.state)
      this.lastSaveMs = performance.now() - started
      this.saveError = undefined
    } catch (error) {
      const reason = (error as Error).message
      if (reason !== this.saveError)
        this.onSaveError(`sandbox: could not save ${this.dataFile}: ${reason}; state is kept in memory and saved at the next change`)
      this.saveError = reason
    }
  }

  /** The last save's failure, said once until a save succeeds. */
  private saveError?: string
}

/** An account's test-clock time in milliseconds. Each account has its own clock, so one CI job's `advance` never moves another's. */
export function nowMs(account: Account): number {
  return Date.now() + account.clock_offset_ms
}

/** An account's test-clock time in Unix seconds, as the API's `*_on` fields use; `aheadMs` for a client with a clock of its own. */
export function now(account: Account, aheadMs = 0): number {
  return Math.floor((nowMs(account) + aheadMs) / 1000)
}

function load(dataFile: string): SandboxState {
  const state = JSON.parse(readFileSync(dataFile, 'utf8')) as SandboxState
  if (state.version !== 1 || typeof state.accounts !== 'object') throw new Error(`${dataFile} is not a sandbox data file`)
  return state
}
