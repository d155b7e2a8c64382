/** How `relay start` shows what the relay reports, one line each (`--json`: the objects as NDJSON). */
import type {RelayLogLine} from '../relay/server.js'

type ReadyLine = {type: 'ready'; url: string; public_url: string; store: string; warning?: string}

export function formatRelayLine(line: Record<string, unknown> & {type: string}): string {
  const time = new Date().toISOString().slice(11, 19)
  const known = line as RelayLogLine | ReadyLine
  switch (known.type) {
    case 'ready':
      return [
        `Relay listening on ${known.url} (store: ${known.store})`,
        `Ingress URLs are built on ${known.public_url}`,
        ...(known.warning ? [`Warning: ${known.warning}`] : []),
        'Ready. Press Ctrl-C to stop.',
      ].join('\n')
    case 'ingress':
      return `${time}  --> ${known.channel} entry ${known.cursor} (${known.bytes} bytes)`
    case 'ingress-failed':
      return `${time}  ! ${known.channel}: not stored (${known.error}); answered 503`
    case 'stream-open':
      return `${time}  stream opened: ${known.channel} for ${known.client} after ${known.cursor}`
    case 'stream-closed':
      return `${time}  stream closed: ${known.channel} for ${known.client}`
    case 'trimmed':
      return `${time}  retention: trimmed ${known.entries} entr${known.entries === 1 ? 'y' : 'ies'} of ${known.channel}`
    case 'store':
      return `${time}  store: failed over to ${known.master}`
    case 'clock-jump':
      return `${time}  ! the clock jumped ${known.jumped_s} s: retention paused for ${known.trims_paused_s} s (listeners are told of anything trimmed before they read it)`
  }
}
