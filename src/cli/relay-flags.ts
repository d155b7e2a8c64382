/** The flags of the `relay channels …` commands, and the relay API client they mean. */
import {Flags} from '@oclif/core'

import {UsageError} from '../api/errors.js'
import type {ProfileSettings} from '../config/store.js'
import type {RelayApi} from '../relay/admin-client.js'
import {registerSecret} from '../shared/secrets.js'

export const relayAdminFlags = {
  relay: Flags.string({summary: "The relay's URL (default: the profile setting relay_url)."}),
  token: Flags.string({summary: "The relay's admin token (default: UMMAH_RELAY_TOKEN, then the profile setting relay_token)."}),
}

export async function relayAdminApi(flags: {relay?: string; token?: string}, stored: ProfileSettings, env: NodeJS.ProcessEnv = process.env): Promise<RelayApi> {
  const url = flags.relay ?? stored.relay_url
  if (!url) throw new UsageError('Which relay?', 'Pass --relay https://relay.example.com, or `ummah config set relay_url URL`.')
  const token = flags.token ?? env.UMMAH_RELAY_TOKEN ?? stored.relay_token
  if (!token) throw new UsageError('No relay admin token', "Pass --token, or set UMMAH_RELAY_TOKEN to the token the relay was started with.")
  registerSecret(token)
  const {RelayApi, parseRelayUrls} = await import('../relay/admin-client.js')
  return new RelayApi(parseRelayUrls(url), token)
}
