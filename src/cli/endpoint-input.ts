/**
 * Command-line input for a documented endpoint, derived from its entry in
 * src/api/endpoints.ts: one argument per path placeholder, one flag per
 * documented parameter (kebab-case), and the conversion of both into the
 * request, with every check made before anything is sent.
 */
import {Args, Flags} from '@oclif/core'

import type {Query} from '../api/client.js'
import type {Endpoint, EndpointParam} from '../api/endpoints.js'
import {argumentName, pathParams, pathProblems} from '../api/paths.js'
import {type FieldErrors, InputError} from '../shared/errors.js'
import {REQUIRED, checkParam, getPath, validateRequest} from '../api/validate.js'
import {MAX_WHOLE, parseTimestamp, parseWhole} from '../shared/numbers.js'
import {dryRunFlag, idempotencyKeyFlag, listFlags, yesFlag} from './flags.js'

/** The request a command sends, before the base command adds the client's details. */
export interface EndpointRequest {
  params: Record<string, string>
  query: Query
  /** Undefined for endpoints that take no body. */
  body?: Record<string, unknown>
}

export interface ParsedInput {
  args: Record<string, unknown>
  flags: Record<string, unknown>
}

export function flagName(param: EndpointParam): string {
  return param.flag ?? param.name.split('.').at(-1)!.replaceAll('_', '-')
}

export function takesBody(target: Endpoint): boolean {
  return target.params.some((param) => param.in === 'body')
}

function paramFlag(param: EndpointParam) {
  const fallback = param.name === 'brand_id' ? " Default: the profile's brand_id." : ''
  const summary = `${param.description}${fallback}${param.required ? ' (required)' : ''}`
  if (param.input === 'products') return Flags.string({summary, multiple: true, multipleNonGreedy: true, helpValue: 'NAME:PRICE[:QTY]'})
  if (param.input === 'client-ids') return Flags.string({summary, multiple: true, multipleNonGreedy: true, helpValue: '<client id>'})
  switch (param.type) {
    case 'boolean':
      return Flags.boolean({summary, allowNo: true})
    case 'array':
      return Flags.string({summary, multiple: true, multipleNonGreedy: true, delimiter: ',', options: param.enum ? [...param.enum] : undefined})
    case 'integer':
      return Flags.string({summary, helpValue: param.input === 'minor-units' ? '<minor units>' : '<integer>'})
    case 'timestamp':
      return Flags.string({summary, helpValue: '<unix seconds|ISO date>'})
    default:
      return Flags.string({summary, options: param.enum ? [...param.enum] : undefined})
  }
}

export const dataFlag = Flags.string({
  summary: 'Request body fields as JSON, @file or - (stdin), merged over the other flags.',
  helpValue: 'JSON|@file|-',
})

/** The flags of an endpoint's command: its documented parameters, then --data, --idempotency-key, paging and --yes as they apply. */
export function endpointFlags(target: Endpoint) {
  const flags: Record<
    string,
    ReturnType<typeof paramFlag> | typeof dataFlag | typeof yesFlag | typeof dryRunFlag | (typeof listFlags)[keyof typeof listFlags]
  > = {}
  for (const param of target.params) flags[flagName(param)] = paramFlag(param)
  if (takesBody(target)) flags.data = dataFlag
  if (target.method === 'POST') flags['idempotency-key'] = idempotencyKeyFlag
  if (target.list) Object.assign(flags, listFlags)
  if (target.destructive) flags.yes = yesFlag
  if (target.method !== 'GET') flags['dry-run'] = dryRunFlag
  return flags
}

const ARG_DESCRIPTIONS: Record<string, string> = {
  id: 'ID of the object',
  client_id: 'ID of the client (subscriber)',
  token: 'ID of the recurring token',
}

/** One required argument per path placeholder: `ID`, `CLIENT_ID`, `TOKEN`. */
export function endpointArgs(target: Endpoint) {
  return Object.fromEntries(pathParams(target).map((name) => [name, Args.string({required: true, description: ARG_DESCRIPTIONS[name] ?? name})]))
}

/**
 * `NAME:PRICE[:QTY]` → `{name, price, quantity}`, read from the right so a
 * name may itself hold colons. Price in minor units (2999 = 29.99).
 */
export function parseProduct(text: string): {name: string; price: number; quantity: number} {
  const parts = text.split(':')
  const whole = (value: string | undefined) => (value === undefined ? undefined : parseWhole(value))
  const digits = (value: string | undefined) => value !== undefined && /^\s*\d+\s*$/.test(value)
  const hasQuantity = parts.length >= 3 && digits(parts.at(-1)) && digits(parts.at(-2))
  const quantityText = hasQuantity ? parts.pop() : undefined
  const priceText = parts.length >= 2 ? parts.pop() : undefined
  const name = parts.join(':').trim()
  if (!name || priceText === undefined) {
    throw new Error('write it as NAME:PRICE[:QTY] with the price in minor units, e.g. "T-Shirt:2999" or "Socks:500:2"')
  }
  const price = whole(priceText)
  if (price === undefined || price <= 0) {
    if (price === undefined && digits(priceText))
      throw new Error(`the price "${priceText.trim()}" is larger than ${MAX_WHOLE}, the largest amount accepted`)
    throw new Error(`the price "${priceText}" must be a whole number of minor units greater than 0, e.g. 2999 for 29.99`)
  }
  const quantity = quantityText === undefined ? 1 : whole(quantityText)
  if (quantity === undefined) throw new Error(`the quantity "${quantityText!.trim()}" is larger than ${MAX_WHOLE}`)
  if (quantity < 1) throw new Error('the quantity must be at least 1')
  return {name, price, quantity}
}

/** A flag's text as the parameter's JSON value; throws with a message for the flag. */
export function convertValue(param: EndpointParam, raw: unknown): unknown {
  if (param.input === 'products') return (raw as string[]).map((text) => parseProduct(text))
  if (param.input === 'client-ids') return (raw as string[]).map((clientId) => ({client_id: clientId.trim()}))
  if (typeof raw !== 'string') return raw
  const text = raw.trim()
  if (text === '') throw new Error('is empty: give a value, or leave the flag out')
  switch (param.type) {
    case 'integer': {
      const number = parseWhole(text)
      if (number === undefined) {
        if (/^\d+$/.test(text)) throw new Error(`"${raw}" is larger than ${MAX_WHOLE}, the largest whole number accepted`)
        throw new Error(
          param.input === 'minor-units' ? `"${raw}" is not a whole number of minor units, e.g. 2999 for 29.99` : `"${raw}" is not a whole number`,
        )
      }
      return number
    }
    case 'timestamp': {
      const seconds = parseTimestamp(text)
      if (seconds === undefined)
        throw new Error(`"${raw}" is neither Unix seconds nor an ISO-8601 date or time such as 2026-11-22 or 2026-11-22T10:00:00Z`)
      return seconds
    }
    default:
      return param.format === 'currency' || param.format === 'country' ? text.toUpperCase() : raw
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let node = target
  for (const part of parts.slice(0, -1)) {
    const next = node[part]
    node = (typeof next === 'object' && next !== null && !Array.isArray(next) ? next : (node[part] = {})) as Record<string, unknown>
  }
  node[parts.at(-1)!] = value
}

/** `over` laid over `base`: objects merge key by key, anything else in `over` wins. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const result = {...base}
  for (const [key, value] of Object.entries(over)) {
    const existing = result[key]
    const bothObjects = [existing, value].every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))
    result[key] = bothObjects ? deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>) : value
  }
  return result
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)
}

export interface BuildOptions {
  /** The parsed `--data` value. */
  data?: unknown
  /** The profile's brand_id, used when neither a flag nor --data gives one. */
  brandId?: string
}

/** The request from the parsed arguments and flags, `--data` merged over them; flag values that cannot be converted throw an InputError. */
export function buildRequest(target: Endpoint, input: ParsedInput, options: BuildOptions = {}): EndpointRequest {
  const params = Object.fromEntries(pathParams(target).map((name) => [name, String(input.args[name] ?? '')]))
  const query: Record<string, unknown> = {}
  let body: Record<string, unknown> | undefined = takesBody(target) ? {} : undefined
  const problems: FieldErrors = {}
  for (const [name, problem] of Object.entries(pathProblems(target, params))) problems[argumentName(name)] = [problem]
  for (const param of target.params) {
    const raw = input.flags[flagName(param)]
    if (raw === undefined) continue
    try {
      setPath(param.in === 'query' ? query : body!, param.name, convertValue(param, raw))
    } catch (error) {
      problems[`--${flagName(param)}`] = [(error as Error).message]
    }
  }
  if (Object.keys(problems).length > 0) throw new InputError(problems, helpHint(target))

  if (options.data !== undefined) {
    if (!body) throw new InputError({'--data': ['this command sends no request body']}, helpHint(target))
    if (typeof options.data !== 'object' || options.data === null || Array.isArray(options.data)) {
      throw new InputError({'--data': ['must be a JSON object, e.g. {"reference": "order-42"}']}, helpHint(target))
    }
    body = deepMerge(body, options.data as Record<string, unknown>)
  }

  const brand = target.params.find((param) => param.name === 'brand_id')
  if (brand && options.brandId) {
    const holder = brand.in === 'query' ? query : body!
    if (isMissing(holder.brand_id)) holder.brand_id = options.brandId
  }
  return {params, query: query as Query, body}
}

/** Required parameters the request still lacks, in documented order. */
export function missingParams(target: Endpoint, request: EndpointRequest): EndpointParam[] {
  return target.params.filter((param) => param.required && isMissing(getPath(param.in === 'query' ? request.query : request.body, param.name)))
}

/** Puts a value (already converted, e.g. from a prompt) into the request. */
export function fillParam(request: EndpointRequest, param: EndpointParam, value: unknown): void {
  setPath(param.in === 'query' ? (request.query as Record<string, unknown>) : request.body!, param.name, value)
}

/** The flag a field error belongs to, e.g. `purchase.products.1.price` → `--product #2 price`. */
function flagLabel(target: Endpoint, field: string): string {
  const param = target.params
    .filter((candidate) => field === candidate.name || field.startsWith(`${candidate.name}.`))
    .sort((a, b) => b.name.length - a.name.length)[0]
  if (!param) return field
  const rest = field
    .slice(param.name.length + 1)
    .split('.')
    .filter(Boolean)
  if (rest.length === 0) return `--${flagName(param)}`
  const [index, ...inner] = rest
  const position = /^\d+$/.test(index) ? `#${Number(index) + 1}` : index
  const detail = inner.filter((part) => !(param.input === 'client-ids' && part === 'client_id'))
  return [`--${flagName(param)} ${position}`, ...detail].join(' ')
}

/** Every documented check of the complete request; throws an InputError naming the flags. */
export function checkRequest(target: Endpoint, request: EndpointRequest): void {
  const errors = validateRequest(target, {body: request.body, query: request.query as Record<string, unknown>})
  if (Object.keys(errors).length === 0) return
  const problems: FieldErrors = {}
  for (const [field, messages] of Object.entries(errors)) {
    const label = flagLabel(target, field)
    ;(problems[label] ??= []).push(...messages.map((message) => (message === REQUIRED ? 'is required.' : message)))
  }
  throw new InputError(problems, helpHint(target))
}

/** The message for one value typed at a prompt, or undefined when it is acceptable. */
export function promptProblem(param: EndpointParam, text: string): string | undefined {
  try {
    return checkParam(param, convertValue(param, text))
  } catch (error) {
    return (error as Error).message
  }
}

export function helpHint(target: Endpoint): string {
  return `See \`ummah ${target.command} --help\`.`
}
