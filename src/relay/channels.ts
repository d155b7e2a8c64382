/**
 * Channels and who may use them: the admin token (from --token or
 * UMMAH_RELAY_TOKEN) manages channels and may stream any; a client token
 * belongs to one channel and may only stream it and read its ingress URL.
 * Tokens are kept as sha256 digests, compared in constant time; the token
 * itself is returned once, when it is made.
 */
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'

import type {ChannelRecord, ChannelToken, RelayStore} from './store.js'

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** 128 random bits: an ingress secret nobody can guess within the gateway's 3-day retry window. */
export const newSecret = () => randomBytes(16).toString('hex')

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(sha256(given))
  const b = Buffer.from(sha256(expected))
  return timingSafeEqual(a, b)
}

export function newToken(): {token: string; record: ChannelToken} {
  const id = `tok_${randomBytes(6).toString('hex')}`
  const token = `urt_${randomBytes(24).toString('base64url')}`
  return {token, record: {id, sha256: sha256(token), created_at: Date.now()}}
}

export function newChannel(name: string): ChannelRecord {
  return {name, id: randomBytes(8).toString('hex'), ingress_secret: newSecret(), created_at: Date.now(), tokens: []}
}

/** A channel's incarnation id ('' for one made before ids existed). */
export const incarnation = (channel: ChannelRecord) => channel.id ?? ''

/** What an API answer shows of a channel: never a token digest. */
export function channelView(channel: ChannelRecord, publicUrl: string): Record<string, unknown> {
  return {
    name: channel.name,
    id: incarnation(channel),
    ingress_url: `${publicUrl}/in/${channel.name}/${channel.ingress_secret}`,
    created_at: new Date(channel.created_at).toISOString(),
    tokens: channel.tokens.map((token) => ({id: token.id, created_at: new Date(token.created_at).toISOString()})),
  }
}

export type Access = {kind: 'admin'} | {kind: 'client'; tokenId: string} | {kind: 'none'; status: 401 | 403}

/** What `Authorization: Bearer TOKEN` allows on `channel`: 401 for no token or an unknown one, 403 for another channel's. */
export async function accessTo(
  store: RelayStore,
  adminToken: string | undefined,
  authorization: string | undefined,
  channel: ChannelRecord | undefined,
): Promise<Access> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1]
  if (!token) return {kind: 'none', status: 401}
  if (adminToken && sameSecret(token, adminToken)) return {kind: 'admin'}
  const digest = sha256(token)
  const own = channel?.tokens.find((entry) => timingSafeEqual(Buffer.from(entry.sha256), Buffer.from(digest)))
  if (own) return {kind: 'client', tokenId: own.id}
  const elsewhere = (await store.listChannels()).some((other) => other.tokens.some((entry) => entry.sha256 === digest))
  return {kind: 'none', status: elsewhere ? 403 : 401}
}

/** Whether an access granted at connect time still holds (the token not revoked, the channel not deleted, nor made again as another incarnation). */
export function stillAllowed(access: Access, channel: ChannelRecord | undefined, channelId: string): boolean {
  if (!channel || incarnation(channel) !== channelId) return false
  return access.kind === 'admin' || (access.kind === 'client' && channel.tokens.some((token) => token.id === access.tokenId))
}
