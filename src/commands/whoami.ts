import {ApiError} from '../api/errors.js'
import {ExitCode, UmmahError} from '../shared/errors.js'
import {UmmahCommand} from '../cli/base-command.js'
import {keyStorage} from '../config/profiles.js'
import {keyMode, maskKey} from '../shared/secrets.js'

export default class Whoami extends UmmahCommand {
  static override aliases = ['auth:status']
  static override summary = 'Show the profile, key and API base in use, and whether the key works'
  static override description =
    'Resolves the key, base URL and profile exactly as every other command does (flags, then environment, then the profile), shows them with the key masked, and checks the key with one request (GET /balance/). Exits 3 when the gateway refuses the key; when it cannot be reached, the profile is still shown (key_works null, and why) with exit 7. Also `ummah auth status`.'

  static override examples = ['<%= config.bin %> whoami', '<%= config.bin %> whoami --json', 'UMMAH_SECRET_KEY=sk_test_... <%= config.bin %> whoami']

  async run(): Promise<unknown> {
    await this.parse(Whoami)
    const settings = await this.settings()
    const key = await this.apiKey()
    const view = {
      profile: settings.profile,
      mode: keyMode(key),
      api_key: maskKey(key),
      key_source: settings.keySource,
      // Where the key is kept: the keychain or the config file for a profile's key, none for a flag's or the environment's.
      key_storage: settings.keySource === 'profile' ? keyStorage(settings.stored) : 'none',
      api_base: settings.apiBase,
    }
    try {
      await (await this.client()).get('/balance/')
      return {...view, key_works: true}
    } catch (error) {
      // Refused: the key does not work (3). Unreachable or failing (7): the profile is still shown, as gh does, with why the key could not be checked.
      if (!(error instanceof UmmahError) || (error.exitCode !== ExitCode.auth && error.exitCode !== ExitCode.network)) throw error
      process.exitCode = error.exitCode
      return {...view, key_works: error instanceof ApiError && error.exitCode === ExitCode.auth ? false : null, error: error.message}
    }
  }
}
