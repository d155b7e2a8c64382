import {UmmahCommand} from '../../cli/base-command.js'

export default class SandboxClock extends UmmahCommand {
  static override summary = "Show the sandbox account's test clock"
  static override description =
    "The time this key's account runs on (each key has its own clock): real time plus every `sandbox advance`. Objects' *_on fields use it."
  static override examples = ['<%= config.bin %> sandbox clock --profile sandbox', '<%= config.bin %> sandbox clock --json']

  async run(): Promise<unknown> {
    await this.parse(SandboxClock)
    const {now} = (await this.sandboxHelper('clock', undefined, 'GET')) as {now: number}
    return {now, time: new Date(now * 1000).toISOString(), ahead_s: Math.max(0, now - Math.floor(Date.now() / 1000))}
  }
}
