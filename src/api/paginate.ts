/**
 * Pages of `{results, next, previous}`: an async iterator that follows `next`
 * links, and the collector the list commands use for `--limit` and `--all`.
 */
import type {ApiClient, Query} from './client.js'

export interface Page<T> {
  results: T[]
  next: string | null
  previous: string | null
}

export function isPage(value: unknown): value is Page<unknown> {
  return typeof value === 'object' && value !== null && Array.isArray((value as Page<unknown>).results)
}

/** Yields every item of every page, fetching the next page only when the previous one is used up. */
export async function* paginate<T>(client: ApiClient, path: string, query?: Query): AsyncGenerator<T> {
  let next: string | null = path
  let pageQuery = query
  while (next) {
    const {body}: {body: unknown} = await client.get(next, pageQuery)
    if (!isPage(body)) throw new TypeError(`Expected a page of results from ${next}`)
    yield* body.results as T[]
    // A link, resolved as links are (against the page's URL): `/api/v1/clients/?page=2` is
    // origin-relative, not a path under the API base. Absolute ones keep the client's origin check.
    next = body.next && body.next.startsWith('/') ? new URL(body.next, client.apiBase).href : body.next
    // A `next` link carries its own query string.
    pageQuery = undefined
  }
}

export interface CollectOptions {
  /** Stop after this many items (following `next` as needed). */
  limit?: number
  /** Follow `next` until the last page. */
  all?: boolean
}

/**
 * The first page as the API returned it, unless `limit` or `all` ask for more;
 * then one page holding the items collected across pages.
 */
export async function collect<T>(client: ApiClient, path: string, query: Query | undefined, options: CollectOptions): Promise<Page<T>> {
  const limit = options.limit ?? (options.all ? Number.POSITIVE_INFINITY : undefined)
  if (limit === undefined) {
    const {body} = await client.get<Page<T>>(path, query)
    if (!isPage(body)) throw new TypeError(`Expected a page of results from ${path}`)
    return body
  }

  const results: T[] = []
  if (limit > 0) {
    for await (const item of paginate<T>(client, path, query)) {
      results.push(item)
      if (results.length >= limit) break
    }
  }
  return {results, next: null, previous: null}
}
