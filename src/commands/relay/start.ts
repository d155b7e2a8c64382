import {ExitCode, UsageError} from '../../shared/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {globalFlagsFor} from '../../cli/flags.js'
import {relayStartFlags, relayStartSettings} from '../../cli/relay-flags.js'
import {untilStopped} from '../../cli/terminal.js'
import {printableDeep} from '../../shared/terminal-text.js'

export default class RelayStart extends UmmahCommand {
  static override summary = "Run the relay that brings the real gateway's webhooks to `webhooks listen` on laptops"
  static override description =
    'Stores every delivery posted to a channel ingress URL (exact bytes, durable before 200) and streams each channel to its `webhooks listen --relay` clients over a WebSocket they open, from their own cursors. Embedded storage in --data-dir by default; --redis for several instances behind a load balancer. Put it behind TLS (a reverse proxy, or --tls-cert/--tls-key): the gateway posts only to https URLs.'

  static override examples = [
    'UMMAH_RELAY_TOKEN=$(openssl rand -hex 24) <%= config.bin %> relay start --public-url https://relay.example.com',
    '<%= config.bin %> relay start --host 0.0.0.0 --redis redis://10.0.0.5:6379 --public-url https://relay.example.com',
  ]

  // A server: no gateway, no profile, nothing asked.
  static override baseFlags = globalFlagsFor('json', 'jq', 'debug', 'quiet')
  static override flags = relayStartFlags

  async run(): Promise<unknown> {
    const {flags} = await this.parse(RelayStart)
    const {token, retentionMs, maxBodyBytes, tls, store: choice} = await relayStartSettings(flags)
    const [{openStore}, {startRelay}, {formatRelayLine}] = await Promise.all([
      import('../../relay/open-store.js'),
      import('../../relay/server.js'),
      import('../../cli/relay-output.js'),
    ])
    const json = this.jsonEnabled()
    const say = (line: Record<string, unknown> & {type: string}) => this.print(json ? this.jsonLine(line) : formatRelayLine(printableDeep(line)))
    const {store, where, warning} = await openStore({...choice, log: say})
    const relay = await startRelay({
      host: flags.host,
      port: flags.port,
      store,
      publicUrl: flags['public-url'],
      adminToken: token,
      retentionMs,
      maxBodyBytes,
      maxStreamsPerToken: flags['max-streams-per-token'],
      tls,
      log: say,
    }).catch(async (error: NodeJS.ErrnoException) => {
      await store.close()
      if (error.code === 'EADDRINUSE')
        throw new UsageError(`Port ${flags.port} is already in use`, 'Is a relay already running? Pick another with --port, or --port 0.')
      throw error
    })
    say({type: 'ready', url: relay.url, public_url: relay.publicUrl, store: where, ...(warning ? {warning} : {})})
    const signal = await untilStopped()
    await relay.close()
    this.notice(`Stopped (${signal}).`)
    if (signal === 'SIGINT') process.exitCode = ExitCode.interrupted
    return undefined
  }
}
