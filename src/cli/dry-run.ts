/**
 * `--dry-run`: the request a command would send (method, URL, headers with
 * the key masked, body), as data and as a person reads it; nothing is sent.
 */
import type {PreparedRequest} from '../api/client.js'
import {maskKey} from '../shared/secrets.js'

export interface DryRun extends Record<string, unknown> {
  dry_run: true
  requests: Array<{method: string; url: string; headers: Record<string, string>; body: unknown}>
}

export function dryRunOf(prepared: PreparedRequest[]): DryRun {
  return {
    dry_run: true,
    requests: prepared.map(({method, url, headers, payload}) => ({
      method,
      // A fixture's `{purchase.id}` placeholder reads as written, not as %7Bpurchase.id%7D.
      url: url.href.replaceAll(/%7B([\w.-]+)%7D/g, '{$1}'),
      headers: Object.fromEntries(
        Object.entries(headers).map(([name, value]) => [
          name,
          name === 'authorization' ? value.replace(/^Bearer (.*)$/, (_, key: string) => `Bearer ${maskKey(key)}`) : value,
        ]),
      ),
      body: payload === undefined ? null : parsed(payload),
    })),
  }
}

function parsed(payload: string): unknown {
  try {
    return JSON.parse(payload)
  } catch {
    return payload
  }
}

/** The requests as HTTP reads: a request line, the headers, a blank line, the body (indented JSON). */
export async function dryRunLines(result: unknown): Promise<string[] | undefined> {
  if (typeof result !== 'object' || result === null || (result as {dry_run?: unknown}).dry_run !== true) return undefined
  const lines: string[] = []
  for (const request of (result as DryRun).requests) {
    if (lines.length > 0) lines.push('')
    lines.push(`${request.method} ${request.url}`, ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`))
    if (request.body !== null) lines.push('', ...JSON.stringify(request.body, null, 2).split('\n'))
  }
  lines.push('', 'Dry run: nothing was sent.')
  return lines
}
