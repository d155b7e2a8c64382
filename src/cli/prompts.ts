/** Prompts for a person at a terminal; the @inquirer prompt packages are imported only when one is shown. */
import type {EndpointParam} from '../api/endpoints.js'
import {checkParam} from '../api/validate.js'
import {convertValue, flagName, promptProblem} from './endpoint-input.js'
import {withTerminalControl} from './output-guard.js'
import {printable} from '../shared/terminal-text.js'

/** The four prompts, each drawing with its own cursor movements past the output boundary (output-guard.ts). */
async function inquirer() {
  const [{default: password}, {default: confirm}, {default: input}, {default: select}] = await Promise.all([
    import('@inquirer/password'),
    import('@inquirer/confirm'),
    import('@inquirer/input'),
    import('@inquirer/select'),
  ])
  return {
    password: (config: Parameters<typeof password>[0]) => withTerminalControl(() => password(config)),
    confirm: (config: Parameters<typeof confirm>[0]) => withTerminalControl(() => confirm(config)),
    input: (config: Parameters<typeof input>[0]) => withTerminalControl(() => input(config)),
    select: <Value>(config: Parameters<typeof select<Value>>[0]) => withTerminalControl(() => select<Value>(config)),
  }
}

export async function askSecret(message: string): Promise<string> {
  const {password} = await inquirer()
  return password({message, mask: '*', validate: (value) => (value.trim() ? true : 'A value is required')})
}

export async function askConfirm(message: string, defaultValue = false): Promise<boolean> {
  const {confirm} = await inquirer()
  // The question may quote what a server said: shown as text (the prompt itself writes raw).
  return confirm({message: printable(message), default: defaultValue})
}

/** Currencies offered first at the currency prompt; any ISO 4217 code can be typed after "Other". */
const COMMON_CURRENCIES = ['USD', 'EUR', 'GBP', 'AED', 'SAR', 'MYR', 'IDR', 'PKR', 'TRY', 'EGP']

/**
 * Asks for one missing required parameter, checked as the flag would be, and
 * returns its JSON value: products one by one, currency from a list, choices
 * from their enumeration, yes/no for booleans.
 */
export async function askParam(param: EndpointParam): Promise<unknown> {
  const {confirm, input, select} = await inquirer()
  const flag = `--${flagName(param)}`
  const ask = (message: string, check: (text: string) => string | undefined) =>
    input({message, validate: (text) => check(text) ?? true}).then((text) => text.trim())

  if (param.input === 'products') {
    const products = []
    do {
      const name = await ask(`Product ${products.length + 1} name`, (text) => (text.trim() ? undefined : 'A name is required'))
      const price = await ask('Price in minor units (2999 = 29.99)', (text) =>
        /^\s*[1-9]\d*\s*$/.test(text) ? undefined : 'A whole number greater than 0',
      )
      const quantity = await ask('Quantity', (text) => (/^\s*[1-9]\d*\s*$/.test(text || '1') ? undefined : 'A whole number of at least 1'))
      products.push({name, price: Number(price), quantity: Number(quantity || 1)})
    } while (await confirm({message: 'Add another product?', default: false}))
    return products
  }
  if (param.input === 'client-ids') {
    const clients = []
    do {
      const clientId = await ask(`Client ID ${clients.length + 1}`, (text) => checkParam({...param, type: 'string', format: 'uuid'}, text.trim()))
      clients.push({client_id: clientId})
    } while (await confirm({message: 'Add another client?', default: false}))
    return clients
  }
  if (param.type === 'boolean') return confirm({message: `${param.description} (${flag})`, default: false})
  if (param.enum && param.type === 'string') {
    return select({message: `${flag}: ${param.description}`, choices: param.enum.map((value) => ({value}))})
  }
  if (param.format === 'currency') {
    const picked = await select({message: 'Currency', choices: [...COMMON_CURRENCIES.map((value) => ({value})), {value: '', name: 'Other…'}]})
    if (picked) return picked
  }
  const text = await ask(`${flag}: ${param.description}`, (value) => promptProblem(param, value))
  return convertValue(param, text)
}

/** Asks for a missing positional argument: a picker when it has choices (`trigger`'s events), else a line of text. */
export async function askArgument(argument: {name: string; description?: string; options?: readonly string[]}): Promise<string> {
  const {input, select} = await inquirer()
  const label = `${argument.name.toUpperCase()}${argument.description ? `: ${argument.description.replace(/\.$/, '')}` : ''}`
  if (argument.options && argument.options.length > 0) return select({message: label, choices: argument.options.map((value) => ({value}))})
  return (await input({message: label, validate: (text) => (text.trim() ? true : 'A value is required')})).trim()
}
