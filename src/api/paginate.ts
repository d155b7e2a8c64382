/**
 * Pages of `{results, next, previous}`: an async iterator that follows `next`
 * links, and the collector the list commands use for `--limit` and `--all`.
 */
import {describeProblem, resolveWithin} from '../shared/urls.js'
import type {ApiClient, Query} from './client.js'
import {UmmahError} from '../shared/errors.js'
import type {Page} from './types.js'

/**
 * The most pages one `--all`/`--paginate` follows: 10,000 pages of the
 * gateway's 100 items is a million records, more than any account lists,
 * and a server that never stops sending `next` cannot keep a command running.
 */
export const MAX_PAGES = 10_000

export function isPage(value: unknown): value is Page<unknown> {
  return typeof value === 'object' && value !== null && Array.isArray((value as Page<unknown>).results)
}

/** Yields every item of every page, fetching the next page only when the previous one is used up. */
export async function* paginate<T>(client: ApiClient, path: string, query?: Query): AsyncGenerator<T> {
  let next: string | null = path
  let pageQuery = query
  // The first page counts as fetched: a `next` back to it is a loop too.
  const seen = new Set<string>([client.resolve(path, query).href])
  for (let pages = 0; next; pages++) {
    if (pages === MAX_PAGES)
      throw pagingError(`Stopped after ${MAX_PAGES} pages: the server kept sending \`next\``, 'Narrow the list with filters, or use --limit.')
    const {body}: {body: unknown} = await client.get(next, pageQuery)
    if (!isPage(body)) throw new TypeError(`Expected a page of results from ${next}`)
    yield* body.results as T[]
    // A `next` link carries its own query string.
    pageQuery = undefined
    next = body.next === null || body.next === undefined || body.next === '' ? null : nextLink(client, body.next)
    if (next !== null) {
      if (seen.has(next))
        throw pagingError(
          'The server sent a `next` link to a page already fetched',
          'The listing loops; what was fetched so far is not printed. Use --limit.',
        )
      seen.add(next)
    }
  }
}

/**
 * A `next` link, resolved as links are (against the page's URL:
 * `/api/v1/clients/?page=2` is origin-relative), and kept only when it stays
 * under the API base: the key goes with it.
 */
function nextLink(client: ApiClient, link: unknown): string {
  if (typeof link !== 'string')
    throw pagingError('The server sent a `next` link that is not a string', 'Report it to the gateway; use --limit meanwhile.')
  const {url, problem} = resolveWithin(client.apiBase, link)
  if (!url)
    throw pagingError(
      `The server sent a \`next\` link ${JSON.stringify(link)} that was not followed: ${describeProblem(problem!, client.apiBase)}`,
      'Nothing was sent there. Use --limit to stay on the first pages.',
    )
  return url.href
}

function pagingError(message: string, hint: string): UmmahError {
  return new UmmahError(message, {code: 'bad_next_link', hint})
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
