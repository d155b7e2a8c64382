/**
 * Fixtures: a JSON file of named requests run in order, each able to use
 * earlier responses and the environment:
 *
 *   {"requests": [
 *     {"name": "purchase", "method": "POST", "path": "/purchases/", "body": {"client": {"email": "${env:EMAIL:-a@example.com}"}, ...}},
 *     {"name": "paid", "method": "POST", "path": "/_sandbox/purchases/${purchase:id}/pay", "body": {"card": "4242424242424242"}}
 *   ]}
 *
 * `${name:dotted.path}` reads an earlier response, `${env:VAR}` the
 * environment, `${profile:brand_id}` the profile's settings; `:-text` gives a
 * default. A value that is one reference keeps the referenced JSON type.
 * `ummah trigger` runs the fixtures shipped in fixtures/.
 */
import {readFile} from 'node:fs/promises'

import {UsageError} from '../shared/errors.js'
import {getPath} from '../api/validate.js'

export interface FixtureRequest {
  name: string
  method: string
  path: string
  body?: unknown
  query?: Record<string, string>
}

export interface Fixture {
  description?: string
  requests: FixtureRequest[]
  /**
   * For a gateway without the sandbox helpers (the real one): other requests
   * that cause the event with documented endpoints only, or what it needs
   * that no API call can give (a shopper's card on the hosted page).
   */
  without_sandbox?: {description?: string; requests?: FixtureRequest[]; needs?: string}
}

export interface FixtureContext {
  send(request: {method: string; path: string; body?: unknown; query?: Record<string, string>}): Promise<unknown>
  env: NodeJS.ProcessEnv
  profile: Record<string, string | undefined>
  /** Called after each request with its name and response. */
  onResponse?: (name: string, response: unknown) => void
  /**
   * `--dry-run`: nothing answers, so a reference to an earlier response reads
   * as the placeholder `{purchase.id}` (known only when the file runs).
   */
  placeholders?: boolean
}

const REFERENCE = /\$\{([a-z_][\w-]*):([^}]*?)(?::-([^}]*))?\}/gi

export async function loadFixture(file: string): Promise<Fixture> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new UsageError(`Cannot read fixture ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'Check the path.')
  }
  let fixture: Fixture
  try {
    fixture = JSON.parse(text) as Fixture
  } catch (error) {
    throw new UsageError(`Fixture ${file} is not valid JSON: ${(error as Error).message}`, 'Fix the file.')
  }
  checkFixture(fixture, file)
  return fixture
}

function checkFixture(fixture: Fixture, file: string): void {
  if (!fixture || !Array.isArray(fixture.requests))
    throw new UsageError(`Fixture ${file} has no "requests" list`, 'See `ummah fixtures run --help` for the format.')
  checkRequests(fixture.requests, file)
  const alternative = fixture.without_sandbox
  if (alternative !== undefined) {
    const ok =
      typeof alternative === 'object' && alternative !== null && Array.isArray(alternative.requests) !== (typeof alternative.needs === 'string')
    if (!ok)
      throw new UsageError(
        `Fixture ${file}: "without_sandbox" needs either "requests" or "needs"`,
        'Give the documented requests that cause the event, or say what it needs.',
      )
    if (alternative.requests) {
      checkRequests(alternative.requests, `${file} (without_sandbox)`)
      if (usesSandbox(alternative.requests))
        throw new UsageError(`Fixture ${file}: "without_sandbox" requests use /_sandbox/ helpers`, 'Use documented endpoints only there.')
    }
  }
}

/** Whether requests call the sandbox's own helpers (/_sandbox/…), which a real gateway does not have. */
export function usesSandbox(requests: FixtureRequest[]): boolean {
  return requests.some((request) => request.path.startsWith('/_sandbox/'))
}

/**
 * The requests to run on this gateway: the fixture's own where the sandbox
 * helpers answer (or none are used), else its documented alternative; an
 * event only a shopper can cause is refused before anything is created.
 */
export function requestsFor(fixture: Fixture, helpers: boolean, what: string): FixtureRequest[] {
  if (helpers || !usesSandbox(fixture.requests)) return fixture.requests
  const alternative = fixture.without_sandbox
  if (alternative?.requests) return alternative.requests
  throw new UsageError(
    `${what} cannot be caused through the API on this gateway: it needs ${alternative?.needs ?? 'the sandbox helpers (/_sandbox/)'}`,
    'Nothing was created. Run it against `ummah sandbox start` (-p sandbox), or cause it by paying on the checkout page.',
  )
}

function checkRequests(requests: FixtureRequest[], file: string): void {
  const names = new Set<string>()
  for (const [index, request] of requests.entries()) {
    const where = `Fixture ${file}, request ${index + 1}`
    if (typeof request.name !== 'string' || !/^[a-z_][\w-]*$/i.test(request.name))
      throw new UsageError(`${where}: "name" must be a word such as "purchase"`, 'Name every request.')
    if (names.has(request.name)) throw new UsageError(`${where}: the name "${request.name}" is used twice`, 'Give each request its own name.')
    if (typeof request.method !== 'string' || typeof request.path !== 'string')
      throw new UsageError(`${where} (${request.name}): "method" and "path" are required`, 'E.g. "method": "POST", "path": "/purchases/".')
    names.add(request.name)
  }
}

/** The environment variables a fixture's requests read (`${env:NAME}`), each once, in order. */
export function environmentRead(requests: FixtureRequest[]): string[] {
  const names = new Set<string>()
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(REFERENCE)) if (match[1] === 'env') names.add(match[2])
    } else if (Array.isArray(value)) value.forEach(visit)
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit)
  }
  for (const request of requests) visit([request.path, request.body, request.query])
  return [...names]
}

/** Replaces the references in a value (deeply); a string that is exactly one reference takes the referenced value's type. */
function resolve(value: unknown, lookup: (namespace: string, path: string, fallback: string | undefined) => unknown): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([a-z_][\w-]*):([^}]*?)(?::-([^}]*))?\}$/i.exec(value)
    if (whole) return lookup(whole[1], whole[2], whole[3])
    return value.replaceAll(REFERENCE, (_, namespace: string, path: string, fallback: string | undefined) =>
      String(lookup(namespace, path, fallback)),
    )
  }
  if (Array.isArray(value)) return value.map((item) => resolve(item, lookup))
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, lookup)]))
  return value
}

/** Runs the requests in order; the responses by name. */
export async function runFixture(fixture: Fixture, context: FixtureContext): Promise<Record<string, unknown>> {
  const responses: Record<string, unknown> = {}
  for (const [index, request] of fixture.requests.entries()) {
    const lookup = (namespace: string, path: string, fallback: string | undefined): unknown => {
      let found: unknown
      if (namespace === 'env') found = context.env[path]
      else if (namespace === 'profile') found = context.profile[path]
      else if (Object.hasOwn(responses, namespace) && context.placeholders) return `{${path ? `${namespace}.${path}` : namespace}}`
      else if (Object.hasOwn(responses, namespace)) found = path ? getPath(responses[namespace], path) : responses[namespace]
      else {
        const known = Object.keys(responses)
        throw new UsageError(
          `Fixture request ${index + 1} (${request.name}): \${${namespace}:${path}} refers to no earlier response named "${namespace}"`,
          known.length > 0
            ? `Earlier responses: ${known.join(', ')}; or use env: or profile:.`
            : 'Only env: and profile: can be used in the first request.',
        )
      }
      if (found === undefined || found === null || found === '') {
        if (fallback !== undefined) return fallback
        throw new UsageError(
          `Fixture request ${index + 1} (${request.name}): \${${namespace}:${path}} has no value`,
          namespace === 'env' ? `Set ${path}, or give a default: \${env:${path}:-value}.` : 'Check the field name, or give a default with :-value.',
        )
      }
      return found
    }
    // The path decides where the key goes: it reads earlier responses and the profile, never the environment,
    // so a fixture file cannot be made to carry a variable to a host of its choosing.
    const pathLookup = (namespace: string, path: string, fallback: string | undefined): unknown => {
      if (namespace === 'env')
        throw new UsageError(
          `Fixture request ${index + 1} (${request.name}): \${env:${path}} cannot be used in a request's path`,
          'Put environment values in the body or the query; a path reads only earlier responses and the profile.',
        )
      return lookup(namespace, path, fallback)
    }
    const response = await context.send({
      method: request.method.toUpperCase(),
      path: String(resolve(request.path, pathLookup)),
      body: request.body === undefined ? undefined : resolve(request.body, lookup),
      query: request.query === undefined ? undefined : (resolve(request.query, lookup) as Record<string, string>),
    })
    responses[request.name] = response
    context.onResponse?.(request.name, response)
  }
  return responses
}

/** One row per response for people: the request's name, and the id and status of what it made. */
export function summarize(responses: Record<string, unknown>): Array<{request: string; id: string; status: string}> {
  return Object.entries(responses).map(([request, response]) => {
    const record = (typeof response === 'object' && response !== null ? response : {}) as Record<string, unknown>
    // The sandbox pay helper and add_subscriber answer with the purchase inside.
    const inner = (
      typeof record.purchase === 'object' && record.purchase !== null && 'status' in record.purchase ? record.purchase : record
    ) as Record<string, unknown>
    return {request, id: String(inner.id ?? record.id ?? ''), status: String(inner.status ?? record.status ?? '')}
  })
}
