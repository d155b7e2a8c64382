/**
 * Which relay channel `webhooks listen --relay` streams, and from where.
 *
 * Personal (no --channel): `PROFILE-HOSTNAME`, created on first use (that
 * needs the relay's admin token) and remembered with its ingress URL, so the
 * gateway webhook (re-pointed at that URL) and its public key stay the same
 * from run to run; a new one is streamed from its first entry.
 *
 * Team (--channel NAME): a channel an admin made, shared by several
 * developers, each with their own cursor. Its gateway webhook is shared too:
 * found by its callback (the channel's ingress URL), made when there is none,
 * and never unsubscribed by a listener's exit. A listener new to the channel
 * starts at its newest entry (it does not replay the team's last 3 days).
 *
 * A listener that has streamed the channel before resumes after its stored cursor.
 */
import {hostname} from 'node:os'

import {UmmahError} from '../shared/errors.js'
import {type ChannelView, RelayApi} from '../relay/admin-client.js'

export interface RelayState {
  /** The relay URLs as given (the cursor means something only on the same relay). */
  relay: string
  channel: string
  /** The incarnation the cursor belongs to (a channel deleted and made again is another). */
  channel_id?: string
  ingress_url: string
  cursor?: string
  /** The number of the entry at `cursor` (the relay counts what was trimmed after it). */
  cursor_seq?: number
}

export interface ResolvedChannel {
  channel: string
  channelId?: string
  /** The number of the entry at the cursor, when known (0 at `0`). */
  cursorSeq?: number
  ingressUrl: string
  cursor: string
  /** A team channel: its webhook is shared, so this listener neither re-points nor unsubscribes it. */
  shared: boolean
}

/** `PROFILE-HOSTNAME` in the relay's channel alphabet (lower-case letters, digits, dashes; 63 at most). */
export function personalChannelName(profile: string, host = hostname()): string {
  const name = `${profile}-${host}`
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]+/g, '-')
    .replaceAll(/-+/g, '-')
    .replace(/^-+/, '')
  return name.slice(0, 63).replace(/-+$/, '') || 'listener'
}

export async function resolveChannel(options: {
  urls: string[]
  token: string
  profile: string
  channel?: string
  state?: RelayState
}): Promise<ResolvedChannel> {
  const api = new RelayApi(options.urls, options.token)
  const relay = options.urls.join(',')
  const known = options.state && options.state.relay === relay ? options.state : undefined
  if (options.channel) {
    const view = await api.getChannel(options.channel)
    // A stored cursor of another incarnation (the channel was deleted and made again): everything of this one is unread.
    const cursor = known?.channel === view.name && known.cursor ? (sameIncarnation(known, view) ? known.cursor : '0') : '$'
    return {channel: view.name, channelId: view.id, ingressUrl: view.ingress_url, cursor, cursorSeq: seqAt(cursor, known), shared: true}
  }
  const name = personalChannelName(options.profile)
  const stored = known?.channel === name && known.cursor ? known.cursor : '0'
  if (known?.channel === name) {
    try {
      const view = await api.getChannel(name)
      const cursor = sameIncarnation(known, view) ? stored : '0'
      return {channel: name, channelId: view.id, ingressUrl: view.ingress_url, cursor, cursorSeq: seqAt(cursor, known), shared: false}
    } catch (error) {
      if (!(error instanceof UmmahError && error.code === 'relay_not_found')) throw error
    }
  }
  let view: ChannelView
  try {
    view = await api.createChannel(name)
  } catch (error) {
    if (error instanceof UmmahError && error.code === 'relay_forbidden') {
      throw new UmmahError(`This relay token cannot create the personal channel ${name}`, {
        code: 'relay_forbidden',
        hint: 'Pass --channel NAME (the channel the token belongs to), or use the relay admin token once to create it.',
      })
    }
    if (!(error instanceof UmmahError && error.code === 'relay_conflict')) throw error
    view = await api.getChannel(name)
  }
  // Made now: a new incarnation, read from its first entry whatever was stored for the name before.
  const cursor = sameIncarnation(known, view) ? stored : '0'
  return {channel: name, channelId: view.id, ingressUrl: view.ingress_url, cursor, cursorSeq: seqAt(cursor, known), shared: false}
}

/** The entry number of a resolved cursor: 0 at the start, the stored one at the stored cursor, else unknown. */
function seqAt(cursor: string, known: RelayState | undefined): number | undefined {
  if (cursor === '0') return 0
  return cursor === known?.cursor ? known.cursor_seq : undefined
}

/** Whether a stored cursor belongs to this incarnation of the channel (state and relay older than incarnations: yes). */
function sameIncarnation(known: RelayState | undefined, view: ChannelView): boolean {
  return (known?.channel_id ?? '') === (view.id ?? '')
}

/** The ingress URL with its secret shortened, for lines people read (the whole URL is in `relay channels list`). */
export function maskIngress(url: string): string {
  return url.replace(
    /\/in\/([^/]+)\/([0-9a-f]{4,})([0-9a-f]{4})$/,
    (_match, channel: string, _secret: string, tail: string) => `/in/${channel}/…${tail}`,
  )
}
