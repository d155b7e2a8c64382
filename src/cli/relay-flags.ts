/** The flags of `relay start` and the `relay channels …` commands, and what they mean (checked here, so the commands stay a list of flags and a run()). */
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {Flags, type Interfaces} from '@oclif/core'

import {UsageError} from '../shared/errors.js'
import {type ProfileSettings, configDir} from '../config/store.js'
import type {RelayApi} from '../relay/admin-client.js'
import {parseDuration} from '../shared/duration.js'
import {parseBytes} from '../shared/numbers.js'
import {registerSecret} from '../shared/secrets.js'
import {secretValue} from './input.js'
import {storedRelayToken} from '../config/profiles.js'
import {LOCAL_HOST, RELAY_PORT} from '../shared/defaults.js'

export const relayStartFlags = {
  host: Flags.string({summary: 'Address to listen on.', default: LOCAL_HOST}),
  port: Flags.integer({summary: 'Port to listen on; 0 picks a free one.', default: RELAY_PORT, min: 0, max: 65_535}),
  'public-url': Flags.string({summary: 'The https URL the gateway reaches this relay at (ingress URLs are built on it).'}),
  'data-dir': Flags.string({summary: "Embedded storage directory (default: the config directory's relay/)."}),
  redis: Flags.string({
    summary: 'Store in Redis Streams instead: redis://HOST:PORT, or redis+sentinel://HOST:26379,HOST2:26379/MASTER (several relays can share it).',
  }),
  'redis-replicas': Flags.integer({
    summary: 'Redis replicas that must confirm each entry (WAIT) before the gateway is answered 200 (default: 1 with redis+sentinel://, else 0).',
    min: 0,
    max: 16,
  }),
  'redis-wait-timeout': Flags.string({summary: 'How long to wait for those replicas before answering 503.', default: '1s'}),
  token: Flags.string({summary: 'Admin token for channel management, or @FILE or - (default: UMMAH_RELAY_TOKEN).'}),
  retention: Flags.string({summary: "How long entries are kept (default 72h: the gateway's retry window).", default: '72h'}),
  'max-body': Flags.string({summary: 'Largest delivery stored (larger: 413).', default: '1mb'}),
  'max-streams-per-token': Flags.integer({
    summary: 'Streams one token may hold open at once on this instance (more: 429).',
    default: 8,
    min: 1,
    max: 1000,
  }),
  'tls-cert': Flags.string({summary: 'PEM certificate, to serve https itself.', dependsOn: ['tls-key']}),
  'tls-key': Flags.string({summary: 'PEM private key for --tls-cert.', dependsOn: ['tls-cert']}),
}

type StartFlags = Interfaces.InferredFlags<typeof relayStartFlags>

/** The admin token, retention, body limit, TLS material and data directory `relay start` runs with; a bad one is a usage error before anything starts. */
export async function relayStartSettings(flags: StartFlags, env: NodeJS.ProcessEnv = process.env) {
  const token = await secretValue(flags.token ?? env.UMMAH_RELAY_TOKEN, '--token')
  if (!token || token.length < 16)
    throw new UsageError(
      'relay start needs an admin token of at least 16 characters',
      'Pass --token or set UMMAH_RELAY_TOKEN, e.g. UMMAH_RELAY_TOKEN=$(openssl rand -hex 24).',
    )
  registerSecret(token)
  const retentionMs = parseDuration(flags.retention)
  if (!retentionMs || retentionMs < 1000)
    throw new UsageError(`--retention "${flags.retention}" is not a duration of a second or more`, 'e.g. --retention 72h, 30m or 3d.')
  const maxBodyBytes = parseBytes(flags['max-body'])
  if (!maxBodyBytes || maxBodyBytes > 64 * 1024 * 1024)
    throw new UsageError(`--max-body "${flags['max-body']}" is not a size up to 64mb`, 'e.g. --max-body 1mb or 262144.')
  // Loaded when asked for: every command's start-up reads this module (test/cli/startup.test.ts).
  const redis = flags.redis === undefined ? undefined : (await import('../relay/redis-target.js')).parseRedisTarget(flags.redis)
  const waitTimeoutMs = parseDuration(flags['redis-wait-timeout'])
  if (!waitTimeoutMs || waitTimeoutMs > 60_000)
    throw new UsageError(
      `--redis-wait-timeout "${flags['redis-wait-timeout']}" is not a duration from 1ms to 60s`,
      'e.g. --redis-wait-timeout 500ms or 2s.',
    )
  // Behind Sentinel a failover loses what no replica had: one must confirm each entry unless told otherwise.
  const replicas = flags['redis-replicas'] ?? (redis?.kind === 'sentinel' ? 1 : 0)
  const tls = flags['tls-cert'] && flags['tls-key'] ? {cert: await readFile(flags['tls-cert']), key: await readFile(flags['tls-key'])} : undefined
  const dataDir = (flags['data-dir'] as string | undefined) ?? join(configDir(), 'relay')
  return {token, retentionMs, maxBodyBytes, tls, store: {dataDir, redis, replicas, waitTimeoutMs}}
}

export const relayAdminFlags = {
  relay: Flags.string({summary: "The relay's URL (default: the profile setting relay_url)."}),
  token: Flags.string({summary: "The relay's admin token, or @FILE or - (default: UMMAH_RELAY_TOKEN, then the profile setting relay_token)."}),
}

export async function relayAdminApi(
  flags: {relay?: string; token?: string},
  stored: ProfileSettings,
  env: NodeJS.ProcessEnv = process.env,
  profile = 'default',
): Promise<RelayApi> {
  const url = flags.relay ?? stored.relay_url
  if (!url) throw new UsageError('Which relay?', 'Pass --relay https://relay.example.com, or `ummah config set relay_url URL`.')
  const token = await secretValue(flags.token ?? env.UMMAH_RELAY_TOKEN ?? (await storedRelayToken(profile, stored)), '--token')
  if (!token) throw new UsageError('No relay admin token', 'Pass --token, or set UMMAH_RELAY_TOKEN to the token the relay was started with.')
  registerSecret(token)
  const {RelayApi, parseRelayUrls} = await import('../relay/admin-client.js')
  return new RelayApi(parseRelayUrls(url), token)
}
