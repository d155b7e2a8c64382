/**
 * Path templates filled from command-line values: each value is checked
 * against what its row says the placeholder holds (src/api/endpoints.ts
 * `ids`) before it is put in a path.
 */
import {UsageError} from '../shared/errors.js'
import type {Endpoint, PathFormat} from './endpoints.js'
import {checkPathValue} from './validate.js'
import {fillTemplate, placeholders} from '../shared/path-template.js'

type PathTarget = Pick<Endpoint, 'ids' | 'path'>

/** The `{placeholders}` of an endpoint's path, in order. */
export function pathParams(target: Pick<Endpoint, 'path'>): string[] {
  return placeholders(target.path)
}

/** What the placeholder `name` holds, as its row declares it. */
export function pathFormat(target: PathTarget, name: string): PathFormat {
  return target.ids?.[name] ?? 'id'
}

/** `ID`, `CLIENT_ID`: a placeholder as the command line names its argument. */
export function argumentName(name: string): string {
  return name.toUpperCase()
}

/** The problem with each path value, by placeholder; empty when every one is a single, well-formed id. */
export function pathProblems(target: PathTarget, values: Record<string, string | undefined>): Record<string, string> {
  const problems: Record<string, string> = {}
  for (const name of pathParams(target)) {
    const problem = checkPathValue(values[name], pathFormat(target, name))
    if (problem) problems[name] = problem
  }
  return problems
}

/** An id for a path, as typed for the argument `name`; throws a usage error (exit 2) naming it. */
export function checkId(name: string, value: string | undefined, format: PathFormat): string {
  const problem = checkPathValue(value, format)
  if (problem) throw new UsageError(`${argumentName(name)}: ${problem}`, 'Pass the id exactly as the API returned it.')
  return value!
}

/**
 * Fills a path template. Every value is checked first (an id of `..` or
 * `a/b` would otherwise change the route: `DELETE /clients/C/recurring_tokens/../`
 * is `DELETE /clients/C/`), then URL-encoded.
 */
export function buildPath(target: PathTarget, values: Readonly<Record<string, string>>): string {
  for (const name of pathParams(target)) checkId(name, values[name], pathFormat(target, name))
  return fillTemplate(target.path, values)
}
