import {UmmahCommand} from '../../cli/base-command.js'
import {listenFlags, listenSettings, relaySettings} from '../../cli/listen-flags.js'
import {UsageError} from '../../shared/errors.js'
import {isLiveKey, registerSecret} from '../../shared/secrets.js'

export default class WebhooksListen extends UmmahCommand {
  static override summary = "Relay the gateway's signed webhooks to your local app, losing nothing"
  static override description = `Starts a receiver (or, with --relay, streams a channel of \`ummah relay\` over a WebSocket it opens: no port for deliveries, and what arrived while it was away comes first), points this profile's webhook at it (the same webhook, and so the same public key, on every run; a change is announced) and forwards each delivery to --forward with the exact body bytes and the original X-Signature, in arrival order. A delivery is answered 200 only once it is durably spooled, 503 while the listener starts or its disk is full (the gateway retries); it is retried while the app is down, and what is pending at exit (or after a crash) is delivered first by the next run. Delivery is at least once: only events in flight at a crash can arrive twice, so de-duplicate on the event id. One listener per profile; at exit the webhook is unsubscribed. The inspector (127.0.0.1, from port 4040; \`ummah webhooks inspect\`) shows every delivery, its headers, body and your app's answers, with replay.`

  static override examples = [
    '<%= config.bin %> webhooks listen --forward localhost:3000/webhook',
    '<%= config.bin %> webhooks listen --forward :3000 --events purchase.paid,purchase.refunded',
    '<%= config.bin %> webhooks listen --forward http://127.0.0.1:8080/hooks --format json',
    '<%= config.bin %> webhooks listen --forward :3000 --relay https://relay.example.com --channel team-dev',
    'export UMMAH_WEBHOOK_PUBLIC_KEY="$(<%= config.bin %> webhooks listen --print-public-key)"',
  ]

  static override flags = listenFlags

  async run(): Promise<unknown> {
    const {flags} = await this.parse(WebhooksListen)
    const listen = await import('../../webhooks/listen.js')
    const {profile, stored} = await this.settings()
    const json = flags.format === 'json' || this.jsonEnabled()
    if (flags['print-public-key']) {
      const relay = await relaySettings(flags, stored, process.env, profile)
      registerSecret(relay?.token)
      const webhook = await listen.printedPublicKey(this.webhookApi(), profile, {webhookId: flags['webhook-id'], relay})
      const text = json ? this.jsonLine({webhook_id: webhook.id, public_key: webhook.public_key}) : webhook.public_key.trimEnd()
      this.print(text)
      return undefined
    }
    if (flags.chaos !== undefined && isLiveKey(await this.apiKey()))
      throw new UsageError(
        '--chaos runs with test keys only: it sends your app forged and stale copies',
        'Use a profile with an sk_test_ key, e.g. -p sandbox.',
      )
    const settings = await listenSettings(flags, stored, process.env, profile)
    registerSecret(settings.relay?.token)
    const {runListenSession} = await import('../../cli/listen-session.js')
    await runListenSession({
      inspect: flags.inspect ? {port: flags['inspect-port'], api: this.webhookApi()} : undefined,
      json,
      color: this.terminal().color,
      jsonLine: (line) => this.jsonLine(line),
      out: this.sink.stdout,
      start: (print, inspectorUrl) => listen.startListening({...settings, api: this.webhookApi(), profile, graceMs: 5000, print, inspectorUrl}),
    })
    return undefined
  }
}
