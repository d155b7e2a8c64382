import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {UsageError} from '../../api/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {untilStopped} from '../../cli/terminal.js'
import {configDir} from '../../config/store.js'
import {parseDuration} from '../../shared/duration.js'
import {parseBytes} from '../../shared/numbers.js'
import {registerSecret} from '../../shared/secrets.js'

export default class RelayStart extends UmmahCommand {
  static override summary = "Run the relay that brings the real gateway's webhooks to `webhooks listen` on laptops"
  static override description =
    'Stores every delivery posted to a channel ingress URL (exact bytes, durable before 200) and streams each channel to its `webhooks listen --relay` clients over a WebSocket they open, from their own cursors. Embedded storage in --data-dir by default; --redis for several instances behind a load balancer. Put it behind TLS (a reverse proxy, or --tls-cert/--tls-key): the gateway posts only to https URLs.'

  static override examples = [
    'UMMAH_RELAY_TOKEN=$(openssl rand -hex 24) <%= config.bin %> relay start --public-url https://relay.example.com',
    '<%= config.bin %> relay start --host 0.0.0.0 --redis redis://10.0.0.5:6379 --public-url https://relay.example.com',
  ]

  static override flags = {
    host: Flags.string({summary: 'Address to listen on.', default: '127.0.0.1'}),
    port: Flags.integer({summary: 'Port to listen on; 0 picks a free one.', default: 8430, min: 0, max: 65_535}),
    'public-url': Flags.string({summary: 'The https URL the gateway reaches this relay at (ingress URLs are built on it).'}),
    'data-dir': Flags.string({summary: 'Embedded storage directory (default: the config directory\'s relay/).'}),
    redis: Flags.string({summary: 'Store in Redis Streams at this redis:// URL instead (several relays can share it).'}),
    token: Flags.string({summary: 'Admin token for channel management (default: UMMAH_RELAY_TOKEN).'}),
    retention: Flags.string({summary: "How long entries are kept (default 72h: the gateway's retry window).", default: '72h'}),
    'max-body': Flags.string({summary: 'Largest delivery stored (larger: 413).', default: '1mb'}),
    'tls-cert': Flags.string({summary: 'PEM certificate, to serve https itself.', dependsOn: ['tls-key']}),
    'tls-key': Flags.string({summary: 'PEM private key for --tls-cert.', dependsOn: ['tls-cert']}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(RelayStart)
    const token = flags.token ?? process.env.UMMAH_RELAY_TOKEN
    if (!token || token.length < 16) throw new UsageError('relay start needs an admin token of at least 16 characters', 'Pass --token or set UMMAH_RELAY_TOKEN, e.g. UMMAH_RELAY_TOKEN=$(openssl rand -hex 24).')
    registerSecret(token)
    const retentionMs = parseDuration(flags.retention)
    if (!retentionMs || retentionMs < 1000) throw new UsageError(`--retention "${flags.retention}" is not a duration of a second or more`, 'e.g. --retention 72h, 30m or 3d.')
    const maxBodyBytes = parseBytes(flags['max-body'])
    if (!maxBodyBytes || maxBodyBytes > 64 * 1024 * 1024) throw new UsageError(`--max-body "${flags['max-body']}" is not a size up to 64mb`, 'e.g. --max-body 1mb or 262144.')
    const tls = flags['tls-cert'] && flags['tls-key'] ? {cert: await readFile(flags['tls-cert']), key: await readFile(flags['tls-key'])} : undefined
    const [{openStore}, {startRelay}, {formatRelayLine}] = await Promise.all([import('../../relay/open-store.js'), import('../../relay/server.js'), import('../../cli/relay-output.js')])
    const {store, where, warning} = await openStore({dataDir: flags['data-dir'] ?? join(configDir(), 'relay'), redis: flags.redis})
    const json = this.jsonEnabled()
    const say = (line: Record<string, unknown> & {type: string}) => process.stdout.write(`${json ? this.jsonLine(line) : formatRelayLine(line)}\n`)
    const relay = await startRelay({host: flags.host, port: flags.port, store, publicUrl: flags['public-url'], adminToken: token, retentionMs, maxBodyBytes, tls, log: say}).catch(async (error: NodeJS.ErrnoException) => {
      await store.close()
      if (error.code === 'EADDRINUSE') throw new UsageError(`Port ${flags.port} is already in use`, 'Is a relay already running? Pick another with --port, or --port 0.')
      throw error
    })
    say({type: 'ready', url: relay.url, public_url: relay.publicUrl, store: where, ...(warning ? {warning} : {})})
    const signal = await untilStopped()
    await relay.close()
    this.notice(`Stopped (${signal}).`)
    return undefined
  }
}
