/**
 * Statement files: waiting until a scheduled statement is ready, and
 * downloading its file atomically (a partial file never appears under the
 * final name). The download URL is pre-signed storage, often on another
 * host, so the API key is never sent with it.
 */
import {randomBytes} from '../shared/lazy-crypto.js'
import {link, open, rename, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {ConnectionError} from './errors.js'
import type {Statement} from './types.js'
import {UmmahError, UsageError} from '../shared/errors.js'
import {parseHttpUrl} from '../shared/urls.js'
import {type HttpResponse, createTransport, networkCode} from './http.js'

export interface WaitOptions {
  intervalMs: number
  timeoutMs: number
  /** Called with each status seen while waiting. */
  onPoll?: (statement: Statement) => void
}

/** Polls until the statement is `completed` with a download URL; cancelled or failed statements and the deadline end the wait with an error. */
export async function waitUntilReady(retrieve: () => Promise<Statement>, options: WaitOptions): Promise<Statement> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const statement = await retrieve()
    options.onPoll?.(statement)
    if (statement.status === 'completed' && statement.download_url) return statement
    if (statement.status !== 'processing') {
      throw new UmmahError(`Statement ${statement.id} is ${statement.status}: there is nothing to download`, {
        code: 'statement_not_ready',
        hint: 'Schedule a new one with `ummah statements create`.',
      })
    }
    if (Date.now() + options.intervalMs > deadline) {
      throw new UmmahError(`Statement ${statement.id} is still processing after ${Math.round(options.timeoutMs / 1000)} s`, {
        code: 'statement_timeout',
        hint: `Try again later with \`ummah statements download ${statement.id}\`, or raise --wait-timeout.`,
      })
    }
    await sleep(options.intervalMs)
  }
}

export interface DownloadOptions {
  timeoutMs: number
  /** Bytes received so far and the total when the server sent a length. */
  onProgress?: (received: number, total: number | undefined) => void
  /** The file's size when the statement object states it (`size`): a body of any other length is truncated. */
  expectedBytes?: number
  /** Replace an existing file; without it an existing file is never overwritten, checked atomically at the end. */
  force?: boolean
}

export interface Download {
  bytes: number
  /** False when neither the response (Content-Length, chunked) nor the statement said how long the file is. */
  lengthChecked: boolean
}

/** The statement file's size in bytes when the statement object states one. */
export function statedSize(statement: Statement): number | undefined {
  const size = statement.size
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : undefined
}

/**
 * Streams `url` into `file` through a temporary file beside it, fsynced and
 * moved into place. Ctrl-C (SIGINT) or SIGTERM mid-download aborts it and
 * removes the temporary file: nothing is left behind but what was there before.
 */
export async function downloadTo(url: string, file: string, options: DownloadOptions): Promise<Download> {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.part`)
  // The handlers first: a signal between creating the file and handling signals would leave it behind.
  const interrupted = new AbortController()
  const onSignal = () => interrupted.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const handle = await open(temporary, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    throw new UsageError(`Cannot write ${file} (${error.code ?? error.message})`, 'Pass -o with a path in a writable directory.')
  })
  try {
    const download = await streamTo(url, options, (chunk) => handle.write(chunk).then(() => undefined), interrupted.signal)
    await handle.sync()
    await handle.close()
    if (options.force) await rename(temporary, file)
    else {
      // link() fails with EEXIST where rename() would replace: an existing file is never overwritten, even one made meanwhile.
      await link(temporary, file).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'EEXIST' ? existsError(file) : error
      })
      await unlink(temporary)
    }
    return download
  } catch (error) {
    await handle.close().catch(() => {})
    await unlink(temporary).catch(() => {})
    if (interrupted.signal.aborted) throw new UmmahError('Interrupted: the download was stopped and no file was written', {code: 'interrupted'})
    throw error
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

export function existsError(file: string): UsageError {
  return new UsageError(`${file} already exists`, 'Pass --force to replace it, or -o another name.')
}

/** Streams `url` to a stream the caller gives (`-o -`: stdout); the byte count. */
export function downloadToStream(url: string, options: DownloadOptions, out: NodeJS.WritableStream): Promise<Download> {
  return streamTo(url, options, (chunk) => new Promise<void>((resolve, reject) => out.write(chunk, (error) => (error ? reject(error) : resolve()))))
}

async function streamTo(text: string, options: DownloadOptions, write: (chunk: Buffer) => Promise<void>, interrupt?: AbortSignal): Promise<Download> {
  // A pre-signed link may be on another host (the key never goes with it), but only when it says so plainly:
  // no spelling that one parser reads as one host and another as a different one.
  const url = parseHttpUrl(text)
  if (!url) {
    throw new UmmahError(`The statement's download_url ${JSON.stringify(text)} is not a plain http(s) URL; nothing was downloaded`, {
      code: 'bad_download_url',
      hint: 'Report it to the gateway; the statement can also be fetched with `ummah statements get ID --json`.',
    })
  }
  const transport = await createTransport()
  let response
  const signal = interrupt ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), interrupt]) : AbortSignal.timeout(options.timeoutMs)
  try {
    response = await transport.request(url, {method: 'GET', signal})
  } catch (error) {
    transport.close()
    throw new ConnectionError(`Could not download ${url.origin}: ${(error as Error).message}`, {
      code: 'download_failed',
      errno: networkCode(error),
      url: url.href,
      attempts: 1,
      hint: 'Check the connection and run `ummah statements download ID` again.',
      cause: error,
    })
  }
  try {
    return await receive(response, options, write)
  } finally {
    transport.close()
  }
}

async function receive(response: HttpResponse, options: DownloadOptions, write: (chunk: Buffer) => Promise<void>): Promise<Download> {
  if (response.statusCode !== 200) {
    response.body.resume()
    throw new UmmahError(`The statement file answered ${response.statusCode}`, {
      code: response.statusCode === 404 ? 'download_not_found' : 'download_failed',
      hint: 'The link may have expired: run `ummah statements download ID` again for a fresh one.',
    })
  }
  const length = Number(response.headers['content-length'])
  const sent = response.headers['content-length'] !== undefined && Number.isSafeInteger(length) && length >= 0 ? length : undefined
  // A body without Content-Length or chunked framing ends when the connection closes: a cut looks like the end.
  const chunked = /chunked/i.test(String(response.headers['transfer-encoding'] ?? ''))
  const total = sent ?? options.expectedBytes
  let received = 0
  const truncated = (cause?: unknown) =>
    new UmmahError(`The download stopped after ${received}${total === undefined ? '' : ` of ${total}`} bytes`, {
      code: 'download_truncated',
      hint: 'Run the command again.',
      cause,
    })
  let writing = false
  try {
    for await (const chunk of response.body) {
      writing = true
      await write(chunk as Buffer)
      writing = false
      received += (chunk as Buffer).length
      options.onProgress?.(received, total)
    }
  } catch (error) {
    // Reading failed: the connection dropped mid-body or the deadline passed. A failed write is the caller's to report.
    throw writing ? error : truncated(error)
  }
  if (total !== undefined && received !== total) throw truncated()
  return {bytes: received, lengthChecked: total !== undefined || chunked}
}
