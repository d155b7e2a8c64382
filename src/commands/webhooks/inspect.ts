import {Flags} from '@oclif/core'

import {UmmahCommand} from '../../cli/base-command.js'

export default class WebhooksInspect extends UmmahCommand {
  static override summary = "Open the running `webhooks listen`'s inspector in the browser"
  static override description =
    "The inspector is the page `webhooks listen` serves on 127.0.0.1 (from port 4040): every delivery received, its headers and exact body, the signature verdict, each forward with your app's status, headers and answer, replay, and on the sandbox edit-and-replay signed with the webhook's key. Its URL carries the listener's per-run token. Off a terminal (or with --print-url) the URL is printed, not opened."

  static override examples = ['<%= config.bin %> webhooks inspect', 'open "$(<%= config.bin %> webhooks inspect --print-url)"']
  static override flags = {'print-url': Flags.boolean({summary: 'Print the URL (with its token) instead of opening a browser.'})}

  async run(): Promise<unknown> {
    const {flags} = await this.parse(WebhooksInspect)
    const {runningInspector} = await import('../../webhooks/listen.js')
    const url = await runningInspector((await this.settings()).profile)
    if (this.jsonEnabled()) return {url}
    this.print(url)
    if (!flags['print-url'] && this.terminal().interactive) await this.openLink(url)
    return undefined
  }
}
