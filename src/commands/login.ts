import {Flags} from '@oclif/core'

import {UsageError} from '../shared/errors.js'
import {UmmahCommand} from '../cli/base-command.js'
import {insecureStorageFlag} from '../cli/flags.js'
import {askSecret} from '../cli/prompts.js'
import {keyMode, maskKey, registerSecret} from '../shared/secrets.js'
import {checkSecretKey, keyStorage, loginProfile, viewProfile} from '../config/profiles.js'
import {checkApiBase} from '../config/resolve.js'
import {DEFAULT_API_BASE, SANDBOX_PROFILE_NAME} from '../config/store.js'

export default class Login extends UmmahCommand {
  static override summary = 'Save a secret key to a profile'
  static override description =
    'On a terminal, asks for the key with masked input. Without one, pass --api-key KEY, or --api-key - to read it from stdin. The key is checked with GET /balance/ unless --no-verify. A live key (sk_live_) goes to the OS keychain, a test key to the config file; live keys left in the file by an older ummah move to the keychain too. The first profile saved becomes the active one.'
  static override examples = [
    '<%= config.bin %> login',
    'printf %s "$UMMAH_TEST_KEY" | <%= config.bin %> login --profile ci --api-key -',
    '<%= config.bin %> login --profile live --api-key sk_live_...',
    '<%= config.bin %> login --profile staging --api-key sk_test_... --api-base https://staging.example.com/api/v1',
  ]

  static override flags = {
    verify: Flags.boolean({summary: 'Check the key with GET /balance/ before saving it.', default: true, allowNo: true}),
    'insecure-storage': insecureStorageFlag,
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Login)
    const store = await this.configStore()
    const profile = loginProfile(this.profileName(store), Boolean(this.globals.profile ?? process.env.UMMAH_PROFILE))
    const apiKey = checkSecretKey(await this.readKey())
    registerSecret(apiKey)
    const apiBase = this.globals['api-base'] ? checkApiBase(this.globals['api-base'], 'flag') : undefined

    // The check runs once the key has a place to go: without a keychain, nothing is sent.
    const check = async () => {
      if (flags.verify) await this.createClient(apiKey, apiBase ?? store.profile(profile)?.api_base ?? DEFAULT_API_BASE).get('/balance/')
    }

    const {loginKey} = await import('../config/keys.js')
    const options = {insecureStorage: flags['insecure-storage'], settings: apiBase ? {api_base: apiBase} : {}, activateIfNone: true, check}
    const {saved, notices} = await loginKey(store, profile, apiKey, options)
    const where = keyStorage(saved) === 'keychain' ? 'the OS keychain' : store.path
    this.notice(`Saved the ${keyMode(apiKey)} key ${maskKey(apiKey)} to profile "${profile}" in ${where}${flags.verify ? ' (verified)' : ''}.`)
    for (const notice of notices) this.notice(notice)
    if (store.activeProfile !== profile && store.activeProfile === SANDBOX_PROFILE_NAME) {
      this.notice(`The active profile is still "${SANDBOX_PROFILE_NAME}": switch with \`ummah profiles use ${profile}\`.`)
    }
    return viewProfile(profile, saved, store.activeProfile ?? profile)
  }

  private async readKey(): Promise<string> {
    const given = await this.apiKeyFlag()
    if (given) return given
    if (this.terminal().interactive) return askSecret('Secret key (sk_test_… or sk_live_…)')
    throw new UsageError('No key given and no terminal to ask for one', 'Pass --api-key KEY, or --api-key - to read it from stdin.')
  }
}
