import {Flags} from '@oclif/core'

import {WEBHOOK_EVENTS} from '../../api/endpoints.js'
import {UsageError} from '../../api/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {lineWriter} from '../../cli/line-writer.js'
import {createStyle} from '../../cli/output.js'
import {untilStopped} from '../../cli/terminal.js'
import type {ListenLine, ListenSchemeName, Webhook, WebhookApi} from '../../webhooks/listen.js'

export default class WebhooksListen extends UmmahCommand {
  static override summary = "Relay the gateway's signed webhooks to your local app, losing nothing"
  static override description = `Starts a receiver, points this profile's webhook at it (the same webhook, and so the same public key, on every run) and forwards each delivery to --forward with the exact body bytes and the original X-Signature, in arrival order. Deliveries are verified, written to a durable spool before they are acknowledged, and retried while the app is down; what is still pending at exit (or after a crash) is delivered first by the next run. At exit the webhook is unsubscribed, so the gateway sends nothing while no listener runs.`

  static override examples = [
    '<%= config.bin %> webhooks listen --forward localhost:3000/webhook',
    '<%= config.bin %> webhooks listen --forward :3000 --events purchase.paid,purchase.refunded',
    '<%= config.bin %> webhooks listen --forward http://127.0.0.1:8080/hooks --format json',
    'export UMMAH_WEBHOOK_PUBLIC_KEY="$(<%= config.bin %> webhooks listen --print-public-key)"',
  ]

  static override flags = {
    forward: Flags.string({char: 'f', summary: 'Where your app listens: localhost:3000/webhook, :3000, 3000 or http(s)://host:port/path.'}),
    events: Flags.string({summary: 'Event types to receive (default: all).', multiple: true, delimiter: ',', options: [...WEBHOOK_EVENTS]}),
    host: Flags.string({summary: 'Address the receiver listens on.', default: '127.0.0.1'}),
    port: Flags.integer({summary: "Receiver port; 0 reuses the last run's port when free, else any.", default: 0, min: 0, max: 65_535}),
    'public-url': Flags.string({summary: 'Callback URL the gateway should use, when it cannot reach this machine directly (a tunnel).'}),
    'webhook-id': Flags.string({summary: "Use this webhook instead of the profile's own (it is re-pointed here and unsubscribed at exit)."}),
    'print-public-key': Flags.boolean({summary: "Print the listener webhook's public key and exit (for CI)."}),
    'skip-verify': Flags.boolean({summary: 'Forward deliveries even when their signature does not verify.'}),
    headers: Flags.string({summary: 'Extra header for every forward, "Name: value" (repeatable).', multiple: true}),
    concurrency: Flags.integer({summary: 'Forwards in flight at once; 1 keeps arrival order.', default: 1, min: 1, max: 64}),
    'forward-timeout': Flags.integer({summary: 'Seconds to wait for your app to answer a forward (1 to 3600).', default: 30, min: 1, max: 3600}),
    'max-attempts': Flags.integer({summary: 'Give up on an event after this many forwards (0: keep retrying while running).', default: 0, min: 0, max: 1_000_000}),
    'max-body': Flags.integer({summary: 'Largest delivery accepted, in bytes (larger: 413; at most 64 MiB).', default: 1_048_576, min: 1, max: 67_108_864}),
    'verify-scheme': Flags.string({summary: "Check deliveries with a partner scheme instead of the webhook's RSA key.", options: ['rsa-sha256', 'sha1-password', 'basic', 'api-key-headers', 'umm-services', 'oauth2']}),
    secret: Flags.string({summary: 'sha1-password: the shared signature password.'}),
    username: Flags.string({summary: 'basic: the expected username.'}),
    password: Flags.string({summary: 'basic: the expected password.'}),
    'verify-header': Flags.string({summary: 'api-key-headers: an expected "name:value" pair (up to five).', multiple: true}),
    'client-id': Flags.string({summary: 'oauth2: the client id the sender uses at this listener\'s …/oauth/token.'}),
    'client-secret': Flags.string({summary: 'oauth2: its client secret.'}),
    scope: Flags.string({summary: 'oauth2: the scope granted.'}),
    'forward-auth': Flags.string({summary: 'Authentication your app expects: basic:USER:PASS, header:NAME:VALUE (repeatable) or oauth2:TOKEN_URL,CLIENT_ID,CLIENT_SECRET[,SCOPE].', multiple: true}),
    format: Flags.string({summary: 'text, or json for one JSON object per line (ready, event, response, retry, error, summary).', options: ['text', 'json'], default: 'text'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(WebhooksListen)
    const {parseForwardAuth, parseHeader} = await import('../../webhooks/forward.js')
    const {parseForwardTarget} = await import('../../webhooks/forward-target.js')
    const listen = await import('../../webhooks/listen.js')
    const settings = await this.settings()
    const api = this.webhookApi()
    const json = flags.format === 'json' || this.jsonEnabled()

    if (flags['print-public-key']) {
      const webhook = await listen.ensureWebhook(api, settings.profile, {
        webhookId: flags['webhook-id'],
        callback: flags['public-url'] ?? 'http://127.0.0.1:9/ummah-webhooks-listen',
        subscription: listen.UNSUBSCRIBED,
      })
      process.stdout.write(json ? `${this.jsonLine({webhook_id: webhook.id, public_key: webhook.public_key})}\n` : webhook.public_key.endsWith('\n') ? webhook.public_key : `${webhook.public_key}\n`)
      return undefined
    }
    if (!flags.forward) throw new UsageError('Missing --forward', 'Say where your app listens, e.g. --forward localhost:3000/webhook.')

    const forwardAuth = parseForwardAuth(flags['forward-auth'] ?? [])
    const style = await createStyle(this.terminal().color)
    const out = lineWriter(process.stdout)
    const print = (line: ListenLine) => {
      const text = json ? this.jsonLine(line) : listen.formatLine(line, style)
      if (text) out.write(text)
    }
    const session = await listen.startListening({
      api,
      profile: settings.profile,
      forward: parseForwardTarget(flags.forward),
      host: flags.host,
      port: flags.port,
      publicUrl: flags['public-url'],
      events: flags.events,
      webhookId: flags['webhook-id'],
      skipVerify: flags['skip-verify'],
      maxBodyBytes: flags['max-body'],
      timeoutMs: flags['forward-timeout'] * 1000,
      maxAttempts: flags['max-attempts'],
      concurrency: flags.concurrency,
      headers: {...Object.fromEntries((flags.headers ?? []).map((header) => parseHeader(header))), ...forwardAuth.headers},
      tokens: forwardAuth.tokens,
      verifyScheme: flags['verify-scheme']
        ? {
            name: flags['verify-scheme'] as ListenSchemeName,
            options: {
              secret: flags.secret,
              username: flags.username,
              password: flags.password,
              headers: (flags['verify-header'] ?? []).map((pair) => parseHeader(pair)),
              clientId: flags['client-id'],
              clientSecret: flags['client-secret'],
              scope: flags.scope,
            },
          }
        : undefined,
      graceMs: 5000,
      print,
    })
    await untilStopped()
    print(await session.stop())
    out.flush()
    return undefined
  }

  private webhookApi(): WebhookApi {
    return {
      create: (body) => this.call<Webhook>('webhooks.create', {body}),
      patch: (id, body) => this.call<Webhook>('webhooks.partial_update', {params: {id}, body}),
    }
  }
}
