import {UmmahCommand} from '../cli/base-command.js'

export default class Version extends UmmahCommand {
  static override summary = 'Show the version (also --version, -v)'
  static override description = 'The version of ummah, the platform and Node.js, as `ummah --version` prints them; --json for scripts.'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json']

  async run(): Promise<unknown> {
    const {name, version} = this.config
    if (!this.jsonEnabled()) {
      this.print(this.config.userAgent)
      return undefined
    }
    return {name, version, platform: process.platform, arch: process.arch, node: process.version}
  }
}
