/** How `webhooks listen` shows what its pipeline reports: one human line (Stripe CLI style, `-->` received, `<--` the app's answer) per ListenLine. */
import type {ListenLine} from '../webhooks/pipeline.js'
import type {Style} from './output.js'

function staleNote(line: {stale?: true; age_s?: number}, style: Style): string {
  if (!line.stale || line.age_s === undefined) return ''
  const minutes = Math.round(line.age_s / 60)
  return style.error(
    ` stale: created ${minutes >= 120 ? `${Math.round(minutes / 60)} h` : `${minutes} min`} ago (apps checking created_on refuse events over 10 min old with 400)`,
  )
}

export function formatListenLine(line: ListenLine, style: Style, now = new Date()): string {
  const time = style.dim(now.toISOString().slice(11, 19))
  switch (line.type) {
    case 'ready': {
      const key = `export UMMAH_WEBHOOK_PUBLIC_KEY='${line.public_key.trim()}'`
      const heading = `${style.bold('Ready!')} Listening at ${line.url}, forwarding to ${line.forward} (webhook ${line.webhook_id}, events: ${line.events === 'all' ? 'all' : line.events.join(', ')}${line.pending ? `, ${line.pending} pending from the last run` : ''}). Times below are UTC.`
      if (line.key_changed) {
        return [
          heading,
          style.error(
            `The webhook's public key CHANGED${line.previous_webhook_id ? ` (webhook ${line.previous_webhook_id} no longer exists: was the gateway's state reset?)` : ''}.`,
          ),
          style.error('Your app must verify with the new key, or it will refuse every delivery with 403:'),
          key,
          ...(line.inspector ? [`Inspector: ${line.inspector}`] : []),
        ].join('\n')
      }
      const inspector = [
        ...(line.inspector ? [`Inspector: ${line.inspector}`] : []),
        ...(line.chaos_seed !== undefined
          ? [`Chaos on (--seed ${line.chaos_seed} repeats it): deliveries are delayed, reordered, repeated, and copied stale or badly signed.`]
          : []),
      ]
      return [heading, ...inspector, "Your app verifies deliveries with this webhook's public key, the same on every run:", key].join('\n')
    }
    case 'event':
      return `${time}  --> ${style.bold(line.event_type)} [${line.id}]${line.duplicate ? style.dim(' duplicate, already received: not forwarded again') : line.verified ? '' : style.error(' signature NOT verified (--skip-verify)')}`
    case 'response':
      return `${time}  <-- [${style.status(line.status < 300 ? 'delivered' : 'failed')} ${line.status}] POST ${line.url} [${line.id}] ${line.duration_ms} ms${staleNote(line, style)}`
    case 'retry':
      return `${time}  <-- [${style.error(line.status === undefined ? (line.error ?? 'failed') : String(line.status))}] POST ${line.url} [${line.id}] ${line.duration_ms} ms; retry ${line.attempt + 1} in ${line.retry_in_ms} ms${staleNote(line, style)}`
    case 'error':
      if (line.stage === 'webhook') return `${time}  ${style.error(`! ${line.error}`)}`
      return line.stage === 'receive'
        ? `${time}  ${style.error(`x refused ${line.status ?? ''} ${line.event_type ?? ''} [${line.id ?? '-'}]: ${line.error}`.replaceAll(/\s+/g, ' '))}`
        : `${time}  <-- ${style.error(`[failed${line.status === undefined ? '' : ` ${line.status}`}] POST ${line.url} [${line.id}]: ${line.error}; not retried (resend with \`ummah webhooks events resend ${line.id}\`)`)}${staleNote(line, style)}`
    case 'disk-full':
      return `${time}  ${style.error(`! spool: disk full at ${line.path} (${line.code}) — deliveries refused with 503 until space is free`)}`
    case 'disk-ok':
      return `${time}  spool: writing again at ${line.path}; deliveries accepted`
    case 'damaged':
      return `${time}  ${style.error(`! spool: skipped ${line.lines} damaged line${line.lines === 1 ? '' : 's'} in ${line.path}`)}; every valid event is kept`
    case 'relay':
      if (line.state === 'missed')
        return `${time}  ${style.error(`relay: ${line.missed} event${line.missed === 1 ? ' was' : 's were'} trimmed before this listener read ${line.missed === 1 ? 'it' : 'them'} (the relay's --retention passed; the gateway's delivery log still lists them)`)}`
      if (line.state === 'disconnected')
        return `${time}  ${style.error(`relay: disconnected (${line.error}), ${line.retry_in_s ? `retrying in ${line.retry_in_s} s` : 'retrying now'} at ${line.relay}`)}`
      return line.resumed
        ? `${time}  relay: resumed at ${line.relay}, ${line.waiting ?? 0} event${line.waiting === 1 ? '' : 's'} waiting`
        : `${time}  relay: connected to ${line.relay} (channel ${line.channel})${line.waiting ? `, ${line.waiting} event${line.waiting === 1 ? '' : 's'} waiting` : ''}`
    case 'stopping':
      return line.in_flight === 0
        ? 'Stopping…'
        : `Stopping: waiting up to ${Math.round(line.grace_ms / 1000)} s for ${line.in_flight} forward${line.in_flight === 1 ? '' : 's'} in flight (Ctrl-C again to quit now; unfinished ones stay pending for the next run).`
    case 'summary': {
      const counts = `Stopped. Received ${line.received}, delivered ${line.delivered}, failed ${line.failed}, pending ${line.pending} (kept for the next run), refused ${line.rejected}, duplicates ${line.duplicates}.`
      if (!line.chaos) return counts
      const kinds = Object.entries(line.chaos.kinds).map(
        ([kind, tally]) =>
          `  ${kind.padEnd(9)} ${tally.injected} injected: ${tally.accepted} answered 2xx, ${tally.refused} 4xx, ${tally.other} other`,
      )
      const calledOut = line.chaos.called_out.map((text) => style.error(`  ✗ The app ${text}`))
      return [counts, `Chaos (seed ${line.chaos.seed}):`, ...kinds, ...calledOut].join('\n')
    }
  }
}
