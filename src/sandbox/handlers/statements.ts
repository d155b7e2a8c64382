/** Balance, turnover and company statements. */
import {randomBytes, randomUUID} from 'node:crypto'

import type {EndpointId} from '../../api/endpoints.js'
import {badRequest, conflict} from '../errors.js'
import type {Context} from '../payments.js'
import {refreshStatement} from '../statements.js'
import {type StatementRecord, now, nowMs} from '../store.js'
import {type Handlers, type SandboxSettings, created, find, ok, page} from './common.js'

type StatementEndpoint = 'balance.retrieve' | Extract<EndpointId, `account.${string}` | `company_statements.${string}`>

function statementView(context: Context, statement: StatementRecord) {
  refreshStatement(context.account, statement)
  const {ready_at: _ready, file_token: token, query_string: _query, ...visible} = statement
  const downloadUrl = statement.status === 'completed' ? `${context.origin}/files/statements/${statement.id}/${token}.${statement.format}` : null
  return {...visible, download_url: downloadUrl}
}

function checkTimezone(timezone: unknown): string {
  if (timezone === undefined) return 'UTC'
  try {
    new Intl.DateTimeFormat('en', {timeZone: String(timezone)})
    return String(timezone)
  } catch {
    throw badRequest({timezone: [`"${timezone}" is not a valid time zone.`]})
  }
}

function balances(context: Context): Array<{currency: string; amount: number}> {
  const totals = new Map<string, number>()
  for (const payment of context.account.payments) {
    totals.set(payment.currency, (totals.get(payment.currency) ?? 0) + (payment.type === 'charge' ? payment.amount : -payment.amount))
  }
  return [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({currency, amount}))
}

function turnover(context: Context): Array<{currency: string; paid_amount: number; period: string}> {
  const totals = new Map<string, number>()
  for (const payment of context.account.payments) {
    if (payment.type !== 'charge') continue
    const key = `${payment.currency} ${new Date(payment.created_on * 1000).toISOString().slice(0, 7)}`
    totals.set(key, (totals.get(key) ?? 0) + payment.amount)
  }
  return [...totals]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, amount]) => {
      const [currency, period] = key.split(' ')
      return {currency, paid_amount: amount, period}
    })
}

export function statementHandlers(settings: SandboxSettings): Handlers<StatementEndpoint> {
  return {
    'balance.retrieve': (context) => ok({balance: balances(context)}),
    'account.balance': (context) => ok({balance: balances(context)}),
    'account.turnover': (context) => ok({turnover: turnover(context)}),
    'company_statements.create'(context, {body}) {
      const statement: StatementRecord = {
        id: `stmt-${randomUUID()}`,
        type: 'company',
        format: body.format as 'csv' | 'xlsx',
        status: 'processing',
        download_url: null,
        timezone: checkTimezone(body.timezone),
        ...(body.query_string === undefined ? {} : {query_string: String(body.query_string)}),
        created_on: now(context.account),
        ready_at: nowMs(context.account) + settings.statementDelayMs,
        file_token: randomBytes(16).toString('hex'),
      }
      context.account.statements[statement.id] = statement
      context.store.changed()
      return created(statementView(context, statement))
    },
    'company_statements.list': (context, request) =>
      page(
        context,
        request,
        '/company_statements/',
        Object.values(context.account.statements).map((statement) => statementView(context, statement)),
      ),
    'company_statements.retrieve': (context, request) => ok(statementView(context, find(context.account.statements, request.params.id))),
    'company_statements.cancel'(context, request) {
      const statement = refreshStatement(context.account, find(context.account.statements, request.params.id))
      if (statement.status !== 'processing') throw conflict(`Cannot cancel a statement in status "${statement.status}".`, statement.status)
      statement.status = 'cancelled'
      context.store.changed()
      return ok({status: 'cancelled'})
    },
  }
}
