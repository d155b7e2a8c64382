/** `webhooks listen`'s flags, and the listener options they mean (parsed here, so the command stays a list of flags and a run()). */
import {Flags, type Interfaces} from '@oclif/core'

import {WEBHOOK_EVENTS} from '../api/endpoints.js'
import {UsageError} from '../shared/errors.js'
import {SCHEME_NAMES} from '../schemes/catalog.js'
import {schemeFlags, schemeSettings} from './scheme-flags.js'
import type {ProfileSettings} from '../config/store.js'
import type {ListenOptions} from '../webhooks/listen.js'
import {registerSecret} from '../shared/secrets.js'
import {secretValue} from './input.js'
import {storedRelayToken} from '../config/profiles.js'
import {LOCAL_HOST} from '../shared/defaults.js'

export const listenFlags = {
  forward: Flags.string({char: 'f', summary: 'Where your app listens: localhost:3000/webhook, :3000, 3000 or http(s)://host:port/path.'}),
  events: Flags.option({summary: 'Event types to receive (default: all).', multiple: true, delimiter: ',', options: WEBHOOK_EVENTS})(),
  host: Flags.string({summary: 'Address the receiver listens on.', default: LOCAL_HOST}),
  chaos: Flags.string({
    summary:
      'Deliver like an imperfect network, to prove the app copes (test keys only): duplicate=0.1,reorder=0.2,delay=0-5s,stale=0.05,badsig=0.02.',
    helpValue: 'SPEC',
  }),
  seed: Flags.integer({
    summary: 'With --chaos: the seed of its choices, to repeat a run exactly (default: random, printed at start).',
    min: 0,
    max: 4_294_967_295,
  }),
  port: Flags.integer({summary: "Receiver port; 0 reuses the last run's port when free, else any.", default: 0, min: 0, max: 65_535}),
  'public-url': Flags.string({summary: 'Callback URL the gateway should use, when it cannot reach this machine directly (a tunnel of your own).'}),
  relay: Flags.string({
    summary:
      'Receive through `ummah relay` at this URL (several, comma-separated, are tried in turn); opens no port for deliveries. Default: the profile setting relay_url.',
  }),
  'relay-token': Flags.string({summary: 'Token for --relay, or @FILE or - (default: UMMAH_RELAY_TOKEN, then the profile setting relay_token).'}),
  channel: Flags.string({summary: "With --relay: a team channel to stream (default: this profile and machine's own channel, created on first use)."}),
  'webhook-id': Flags.string({summary: "Use this webhook instead of the profile's own (it is re-pointed here and unsubscribed at exit)."}),
  takeover: Flags.boolean({summary: 'Take the webhook over from a listener already running on this profile (it stops receiving).'}),
  'print-public-key': Flags.boolean({
    summary: 'Print the public key of the webhook this listen (with the same flags) uses, and exit; only reads.',
    description:
      "With --relay --channel NAME, the team channel's webhook; else this profile's own. A profile with no listener webhook yet exits 4: start `webhooks listen` once (its Ready line carries the key).",
  }),
  'skip-verify': Flags.boolean({summary: 'Forward deliveries even when their signature does not verify.'}),
  headers: Flags.string({summary: 'Extra header for every forward, "Name: value" (repeatable).', multiple: true}),
  concurrency: Flags.integer({summary: 'Forwards in flight at once; 1 keeps arrival order.', default: 1, min: 1, max: 64}),
  'forward-timeout': Flags.integer({summary: 'Seconds to wait for your app to answer a forward (1 to 3600).', default: 30, min: 1, max: 3600}),
  'max-attempts': Flags.integer({
    summary: 'Give up on an event after this many forwards (0: keep retrying while running).',
    default: 0,
    min: 0,
    max: 1_000_000,
  }),
  'max-body': Flags.integer({
    summary: 'Largest delivery accepted, in bytes (larger: 413; at most 64 MiB).',
    default: 1_048_576,
    min: 1,
    max: 67_108_864,
  }),
  'dedupe-window': Flags.integer({
    summary: "Hours an event id is remembered, so a replay or late retry is not forwarded again (default 72: the gateway's retry window).",
    default: 72,
    min: 1,
    max: 24 * 90,
  }),
  'verify-scheme': Flags.option({summary: "Check deliveries with a partner scheme instead of the webhook's RSA key.", options: SCHEME_NAMES})(),
  ...schemeFlags('listen'),
  'forward-auth': Flags.string({
    summary:
      'Authentication your app expects: basic:USER:PASS, header:NAME:VALUE (repeatable) or oauth2:TOKEN_URL,CLIENT_ID,CLIENT_SECRET[,SCOPE]; or @FILE (one per line) or -; default UMMAH_FORWARD_AUTH.',
    multiple: true,
  }),
  inspect: Flags.boolean({
    summary: 'Serve the inspector on 127.0.0.1 (the page of what arrived and what your app answered, with replay); --no-inspect: none.',
    default: true,
    allowNo: true,
  }),
  'inspect-port': Flags.integer({
    summary: "The inspector's port (default: the first free one from 4040; 0: any).",
    env: 'UMMAH_INSPECT_PORT',
    min: 0,
    max: 65_535,
  }),
  format: Flags.option({
    summary: 'text, or json for one JSON object per line (ready, event, response, retry, error, disk-full, disk-ok, damaged, relay, summary).',
    options: ['text', 'json'] as const,
    default: 'text',
  })(),
}

type ListenFlagValues = Interfaces.InferredFlags<typeof listenFlags>

/** Everything of ListenOptions the flags (and, for the relay, the environment and profile settings) decide. */
export async function listenSettings(
  flags: ListenFlagValues,
  stored: ProfileSettings = {},
  env: NodeJS.ProcessEnv = process.env,
  profile = 'default',
): Promise<Omit<ListenOptions, 'api' | 'profile' | 'print' | 'graceMs'>> {
  if (!flags.forward) throw new UsageError('Missing --forward', 'Say where your app listens, e.g. --forward localhost:3000/webhook.')
  const relay = await relaySettings(flags, stored, env, profile)
  const [{parseForwardTarget}, {parseForwardAuth, parseForwardHeader}] = await Promise.all([
    import('../webhooks/forward-target.js'),
    import('./header-flags.js'),
  ])
  const forwardAuth = parseForwardAuth(await forwardAuthValues(flags['forward-auth'], env))
  const scheme = flags['verify-scheme']
  if (flags.chaos !== undefined && scheme)
    throw new UsageError(
      '--chaos breaks and re-signs Ummah RSA signatures (X-Signature): not a partner scheme',
      'Leave out --verify-scheme or --chaos.',
    )
  const chaos =
    flags.chaos === undefined ? undefined : {spec: (await import('../webhooks/chaos.js')).parseChaos(flags.chaos), seed: flags.seed ?? randomSeed()}
  return {
    chaos,
    forward: parseForwardTarget(flags.forward),
    host: flags.host,
    port: flags.port,
    publicUrl: flags['public-url'],
    relay,
    events: flags.events,
    webhookId: flags['webhook-id'],
    takeover: flags.takeover,
    skipVerify: flags['skip-verify'],
    maxBodyBytes: flags['max-body'],
    timeoutMs: flags['forward-timeout'] * 1000,
    maxAttempts: flags['max-attempts'],
    concurrency: flags.concurrency,
    dedupeWindowMs: flags['dedupe-window'] * 3600 * 1000,
    headers: {...Object.fromEntries(((flags.headers ?? []) as string[]).map((header) => parseForwardHeader(header))), ...forwardAuth.headers},
    tokens: forwardAuth.tokens,
    verifyScheme: scheme && {name: scheme, options: await schemeSettings('listen', flags)},
  }
}

function randomSeed(): number {
  return Math.floor(Math.random() * 4_294_967_296)
}

/** `--forward-auth` values: each as given, or the lines of `@FILE` or stdin; UMMAH_FORWARD_AUTH (one per line) when none is given. */
async function forwardAuthValues(values: string[] | undefined, env: NodeJS.ProcessEnv): Promise<string[]> {
  const given = values ?? (env.UMMAH_FORWARD_AUTH ? [env.UMMAH_FORWARD_AUTH] : [])
  const lines: string[] = []
  for (const value of given) {
    const text = value === '-' || value.startsWith('@') ? (await secretValue(value, '--forward-auth'))! : value
    lines.push(
      ...text
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    )
  }
  for (const line of lines) for (const secret of line.split(':').slice(2).join(':').split(',')) registerSecret(secret)
  return lines
}

/** --relay, --relay-token and --channel, with their defaults from UMMAH_RELAY_TOKEN and the profile's relay_url / relay_token. */
export async function relaySettings(
  flags: ListenFlagValues,
  stored: ProfileSettings,
  env: NodeJS.ProcessEnv,
  profile: string,
): Promise<ListenOptions['relay']> {
  const url: string | undefined = flags.relay ?? (flags['public-url'] ? undefined : stored.relay_url)
  if (!url) {
    if (flags.channel) throw new UsageError('--channel needs --relay', 'Give the relay: --relay https://relay.example.com --channel NAME.')
    return undefined
  }
  if (flags['public-url'])
    throw new UsageError(
      '--relay and --public-url both say where the gateway posts',
      'Use one: --relay for `ummah relay`, --public-url for a tunnel of your own.',
    )
  const [{parseRelayUrls}, {CHANNEL_NAME}] = await Promise.all([import('../relay/admin-client.js'), import('../relay/store.js')])
  const token = await secretValue(flags['relay-token'] ?? env.UMMAH_RELAY_TOKEN ?? (await storedRelayToken(profile, stored)), '--relay-token')
  if (!token) throw new UsageError('--relay needs a token', 'Pass --relay-token, set UMMAH_RELAY_TOKEN, or `ummah config set relay_token TOKEN`.')
  if (flags.channel !== undefined && !CHANNEL_NAME.test(flags.channel))
    throw new UsageError(`--channel "${flags.channel}" is not a channel name`, 'Channel names are lower-case letters, digits and dashes (up to 63).')
  return {urls: parseRelayUrls(url), token, channel: flags.channel}
}
