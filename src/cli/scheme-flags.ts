/**
 * The flags that give a webhook scheme's settings, derived from the catalog
 * (src/schemes/catalog.ts) for `webhooks verify` and `webhooks listen`, and
 * the settings from their parsed values. A setting added to the catalog is a
 * flag of each command it names, with help that says which schemes read it.
 */
import {Flags, type Interfaces} from '@oclif/core'

import {SETTINGS, type ReceivingSide, type SchemeSettings, type SettingName, type SettingSpec, schemesReading} from '../schemes/catalog.js'
import {readFileArgument, secretValue} from './input.js'

type TextFlag = Interfaces.OptionFlag<string | undefined>
type PairsFlag = Interfaces.OptionFlag<string[] | undefined>

const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[]

function spec(setting: SettingName): SettingSpec {
  return SETTINGS[setting]
}

/** The flags of `side`'s scheme settings, by flag name. */
export function schemeFlags(side: ReceivingSide): Record<string, PairsFlag | TextFlag> {
  const flags: Record<string, PairsFlag | TextFlag> = {}
  for (const setting of SETTING_NAMES) {
    const {[side]: flag, summary, pairs, env} = spec(setting)
    if (!flag) continue
    const readers = schemesReading(side, setting).join(', ')
    const help = `${readers}: ${summary}.`
    flags[flag] = pairs ? Flags.string({summary: help, multiple: true}) : Flags.string({summary: help, env})
  }
  return flags
}

/**
 * The settings the parsed flags give: secrets read through @FILE or - (and
 * masked from then on), files read, pairs parsed as "name:value".
 */
export async function schemeSettings(side: ReceivingSide, flags: Record<string, unknown>): Promise<SchemeSettings> {
  const {parseHeader} = await import('./header-flags.js')
  const settings: Record<string, unknown> = {}
  for (const setting of SETTING_NAMES) {
    const {[side]: flag, pairs, secret, file} = spec(setting)
    const value = flag ? flags[flag] : undefined
    if (value === undefined) continue
    if (pairs) settings[setting] = (value as string[]).map((pair) => parseHeader(pair, `--${flag}`))
    else if (secret) settings[setting] = await secretValue(value as string, `--${flag}`)
    else if (file && (value as string).startsWith('@'))
      settings[setting] = (await readFileArgument((value as string).slice(1), `--${flag}`)).toString('utf8')
    else settings[setting] = value
  }
  return settings as SchemeSettings
}
