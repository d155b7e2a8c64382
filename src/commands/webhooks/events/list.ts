import {UmmahCommand} from '../../../cli/base-command.js'
import {listFlags} from '../../../cli/flags.js'

export default class WebhooksEventsList extends UmmahCommand {
  static override summary = 'List the deliveries `webhooks listen` received, newest first'
  static override description =
    "Reads this profile's listener spool: every delivery received, with whether it was delivered to your app, failed, or is still pending (the next `webhooks listen` forwards pending ones first). Finished deliveries are compacted away after a while; the most recent are kept. STALE marks an event not yet delivered whose created_on is over 10 minutes old: an app that applies the API reference's replay check will answer it 400 (stale event)."

  static override examples = ['<%= config.bin %> webhooks events list', '<%= config.bin %> webhooks events list --limit 5 --json']
  static override columns = [
    {field: 'id'},
    {field: 'type'},
    {field: 'status', kind: 'status' as const},
    {field: 'attempts'},
    {field: 'response_status', header: 'code'},
    {field: 'received_at', header: 'received', kind: 'date' as const},
    {field: 'stale'},
  ]

  static override flags = {limit: listFlags.limit}

  async run(): Promise<unknown> {
    const {flags} = await this.parse(WebhooksEventsList)
    const {readSpool} = await import('../../../webhooks/events.js')
    const events = await readSpool((await this.settings()).profile)
    return events.reverse().slice(0, flags.limit ?? events.length)
  }
}
