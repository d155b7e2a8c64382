/**
 * Live keys move real money: a request that changes anything with an
 * `sk_live_*` key needs --live, or a "yes" at a prompt on a terminal. Never
 * silently.
 */
import {UsageError} from '../shared/errors.js'
import {isLiveKey, maskKey} from '../shared/secrets.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface LiveGuardInput {
  apiKey: string
  method: string
  what: string
  live: boolean
  /** Asks the person at the terminal; absent when there is no terminal. */
  confirm?: (message: string) => Promise<boolean>
}

export async function guardLive({apiKey, method, what, live, confirm}: LiveGuardInput): Promise<void> {
  if (live || SAFE_METHODS.has(method.toUpperCase()) || !isLiveKey(apiKey)) return
  if (confirm) {
    if (await confirm(`${what} uses the LIVE key ${maskKey(apiKey)} and changes real data. Continue?`)) return
    throw new UsageError('Cancelled: nothing was sent', 'Pass --live to skip this question.')
  }
  throw new UsageError(
    `Refusing to send ${what} with the live key ${maskKey(apiKey)}: it changes live data`,
    'Pass --live to confirm, or use a test key (sk_test_*).',
  )
}
