import {UmmahCommand} from '../../cli/base-command.js'

export default class ConfigMigrateKeys extends UmmahCommand {
  static override summary = 'Move live keys from the config file into the OS keychain'
  static override description =
    'Every live key (sk_live_) found in the config file, written by an older ummah or with --insecure-storage, and every relay token kept there, moves into the OS keychain and is removed from the file. Test keys stay. Without a keychain it exits 2 and changes nothing.'

  static override examples = ['<%= config.bin %> config migrate-keys', '<%= config.bin %> config migrate-keys --json']
  static override columns = [{field: 'profile'}, {field: 'api_key', header: 'key'}, {field: 'key_storage', header: 'now in'}]

  async run(): Promise<unknown> {
    await this.parse(ConfigMigrateKeys)
    const store = await this.configStore()
    const {migrateKeys} = await import('../../config/keys.js')
    const {moved, notices} = await migrateKeys(store, {all: true})
    for (const notice of notices) this.notice(notice)
    this.notice(
      moved.length === 0
        ? `No live key in ${store.path}.`
        : `Moved ${moved.length} secret${moved.length === 1 ? '' : 's'} (live keys, relay tokens) to the OS keychain.`,
    )
    return moved.map((key) => ({...key, key_storage: 'keychain'}))
  }
}
