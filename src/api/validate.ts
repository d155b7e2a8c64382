/**
 * Checks a request against the documented parameters of its endpoint. The
 * sandbox answers 400 with these field errors; the CLI runs the same checks
 * before sending, so bad input never leaves the machine.
 */
import type {Endpoint, EndpointParam, ParamFormat} from './endpoints.js'
import type {FieldErrors} from '../shared/errors.js'
import {MAX_WHOLE, isWhole} from '../shared/numbers.js'
import {parseHttpUrl} from '../shared/urls.js'

export const REQUIRED = 'This field is required.'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const PHONE = /^\+[1-9]\d{6,14}$/
const COUNTRY = /^[A-Z]{2}$/

let currencies: Set<string> | undefined

export function isCurrency(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'))
  return currencies.has(code)
}

/**
 * Products on one purchase or template: an order of 100 lines is more than a
 * checkout page shows, and the bound keeps what one request (and every
 * renewal of a subscription to it) costs the sandbox small.
 */
export const MAX_PRODUCTS = 100

export function isUrl(value: string): boolean {
  // One rule with the CLI's own requests (src/shared/urls.ts): written plainly, since the URL parser drops
  // tabs and line breaks silently and reads a backslash as a slash.
  return parseHttpUrl(value) !== undefined
}

const FORMAT_CHECKS: Record<ParamFormat, {test(value: string): boolean; message: string}> = {
  uuid: {test: (value) => UUID.test(value), message: 'Must be a valid UUID.'},
  // RFC 5321: a forward path is at most 256 octets including the brackets, so an address at most 254.
  email: {test: (value) => value.length <= 254 && EMAIL.test(value), message: 'Enter a valid email address.'},
  url: {test: isUrl, message: 'Enter a valid URL.'},
  currency: {test: (value) => /^[A-Z]{3}$/.test(value) && isCurrency(value), message: 'Must be a valid 3-letter ISO 4217 currency code.'},
  country: {test: (value) => COUNTRY.test(value), message: 'Must be a 2-letter ISO 3166 country code.'},
  phone: {test: (value) => PHONE.test(value), message: 'Enter a phone number in E.164 format, e.g. +14155550123.'},
}

/** One path segment an id may be: unreserved URL characters, not starting with a dot, at most 200 long. */
const PATH_ID = /^[A-Za-z0-9_~:-][A-Za-z0-9._~:-]{0,199}$/

/** The problem with a value for a path placeholder, if any: never empty, `.`, `..`, or anything holding `/`, `?`, `#`, `%` or spaces. */
export function checkPathValue(value: string | undefined, format: 'id' | 'uuid'): string | undefined {
  if (value === undefined || value === '') return 'must not be empty.'
  if (value === '.' || value === '..') return `"${value}" is not an id.`
  const bad = /[/\\?#%\s]/.exec(value)
  if (bad) return `"${printable(value)}" is not an id: it contains ${bad[0] === '/' ? '"/"' : bad[0].trim() ? `"${bad[0]}"` : 'white space'}.`
  if (!PATH_ID.test(value)) return `"${printable(value)}" is not an id.`
  if (format === 'uuid' && !UUID.test(value)) return `"${printable(value)}" is not a UUID (e.g. d6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e).`
  return undefined
}

/** A value as it may be echoed in a one-line message: control characters escaped, long values cut. */
function printable(value: string): string {
  const escaped = JSON.stringify(value).slice(1, -1)
  return escaped.length > 60 ? `${escaped.slice(0, 57)}…` : escaped
}

export function getPath(object: unknown, path: string): unknown {
  let value = object
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

function add(errors: FieldErrors, field: string, message: string): void {
  ;(errors[field] ??= []).push(message)
}

/** The error for one value against one documented parameter, if any. */
export function checkParam(param: EndpointParam, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return param.required ? REQUIRED : undefined
  switch (param.type) {
    case 'integer':
    case 'timestamp':
      if (!isWhole(value))
        return Number.isInteger(value) ? `Ensure this value is less than or equal to ${MAX_WHOLE}.` : 'A valid integer is required.'
      if (param.min !== undefined && (value as number) < param.min) return `Ensure this value is greater than or equal to ${param.min}.`
      if ((value as number) < 0) return 'Ensure this value is greater than or equal to 0.'
      break
    case 'boolean':
      if (typeof value !== 'boolean') return 'Must be a valid boolean.'
      break
    case 'array':
      if (!Array.isArray(value)) return 'Expected a list of items.'
      if (param.required && value.length === 0) return 'This list may not be empty.'
      if (param.enum) {
        // Each item itself one of the choices: ["purchase.paid"] nested in a list is not "purchase.paid".
        const bad = value.find((item) => typeof item !== 'string' || !param.enum!.includes(item))
        if (bad !== undefined) return `${typeof bad === 'string' ? `"${bad}"` : JSON.stringify(bad)} is not a valid choice.`
      }
      break
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return 'Expected an object.'
      break
    case 'string':
      if (typeof value !== 'string') return 'Not a valid string.'
      if (param.enum && !param.enum.includes(value)) return `"${value}" is not a valid choice.`
      if (param.format && !FORMAT_CHECKS[param.format].test(value)) return FORMAT_CHECKS[param.format].message
      break
  }
  return undefined
}

/** Products as documented: a non-empty list of `{name, price, quantity}`, prices in minor units > 0. */
export function checkProducts(value: unknown, field: string, errors: FieldErrors): void {
  if (!Array.isArray(value)) return
  if (value.length > MAX_PRODUCTS) {
    add(errors, field, `Ensure this field has no more than ${MAX_PRODUCTS} elements.`)
    return
  }
  let total = 0
  for (const [index, product] of value.entries()) {
    const at = `${field}.${index}`
    if (typeof product !== 'object' || product === null || Array.isArray(product)) {
      add(errors, at, 'Expected an object with name, price and quantity.')
      continue
    }
    const {name, price, quantity} = product as Record<string, unknown>
    if (typeof name !== 'string' || !name.trim()) add(errors, `${at}.name`, REQUIRED)
    if (price === undefined) add(errors, `${at}.price`, REQUIRED)
    else if (!isWhole(price))
      add(
        errors,
        `${at}.price`,
        Number.isInteger(price)
          ? `Ensure this value is less than or equal to ${MAX_WHOLE}.`
          : 'A valid integer is required (minor units, e.g. cents).',
      )
    else if (price <= 0) add(errors, `${at}.price`, 'Ensure this value is greater than 0.')
    if (quantity !== undefined && (!isWhole(quantity) || quantity < 1)) {
      add(errors, `${at}.quantity`, 'Ensure this value is an integer of at least 1.')
    }
    if (isWhole(price) && (quantity === undefined || isWhole(quantity))) total += price * ((quantity as number | undefined) ?? 1)
  }
  // Each line may be exact and the sum still not: the total must be exact too.
  if (!isWhole(total)) add(errors, field, `The total of the products must be at most ${MAX_WHOLE} minor units.`)
}

/**
 * Field errors of a request body (or query) for an endpoint, keyed by the
 * documented dotted names; empty when the request is valid.
 */
export function validateRequest(target: Endpoint, input: {body?: unknown; query?: Record<string, unknown>}): FieldErrors {
  const errors: FieldErrors = {}
  for (const param of target.params) {
    const source = param.in === 'query' ? input.query : input.body
    const message = checkParam(param, getPath(source, param.name))
    if (message) add(errors, param.name, message)
  }
  const body = input.body
  for (const param of target.params) {
    if (param.name.endsWith('products')) checkProducts(getPath(body, param.name), param.name, errors)
  }
  if (target.params.some((param) => param.name === 'is_subscription') && getPath(body, 'is_subscription') === true) {
    // Creating a plan needs its period; PUT replaces all fields, and a period not given takes its default (1 month), as the documented PUT example does.
    for (const name of target.method === 'POST' ? ['subscription_period', 'subscription_period_units'] : []) {
      if (getPath(body, name) === undefined && !errors[name]) add(errors, name, 'This field is required when is_subscription is true.')
    }
    const period = getPath(body, 'subscription_period')
    if (Number.isInteger(period) && (period as number) < 1) add(errors, 'subscription_period', 'Ensure this value is greater than 0.')
  }
  if (target.id === 'billing.send') {
    const clients = getPath(body, 'clients')
    if (Array.isArray(clients)) {
      for (const [index, item] of clients.entries()) {
        const clientId = getPath(item, 'client_id')
        if (typeof clientId !== 'string' || !UUID.test(clientId))
          add(errors, `clients.${index}.client_id`, clientId === undefined ? REQUIRED : 'Must be a valid UUID.')
      }
    }
  }
  return errors
}
