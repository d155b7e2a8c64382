import {UmmahCommand} from '../../cli/base-command.js'
import {listProfiles} from '../../config/profiles.js'

export default class ProfilesList extends UmmahCommand {
  static override summary = 'List profiles with their mode and masked key'
  static override description =
    'Every saved profile with its mode (test or live, from the key prefix) and its key masked; the active one is marked. The built-in sandbox profile is always listed.'
  static override examples = ['<%= config.bin %> profiles list', '<%= config.bin %> profiles list --json']
  static override columns = [
    {field: 'name'},
    {field: 'active'},
    {field: 'mode', kind: 'status' as const},
    {field: 'api_key', header: 'key'},
    {field: 'api_base', header: 'api base'},
  ]

  async run(): Promise<unknown> {
    await this.parse(ProfilesList)
    const store = await this.configStore()
    return listProfiles(store, this.profileName(store))
  }
}
