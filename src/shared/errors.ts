/**
 * The error family's root and the one table of error codes. Every failure the
 * CLI reports is an UmmahError whose `code` is a key of ERROR_CODES; its exit
 * code is read from the table, never written beside it. The README's
 * exit-code table and `ummah help exit-codes` are generated from EXIT_CODES
 * and ERROR_CODES (src/cli/help-topics.ts; test/cli/help-topics.test.ts
 * compares the README with the generated text).
 */

export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  conflict: 5,
  rateLimited: 6,
  network: 7,
  notACommand: 127,
  interrupted: 130,
} as const

export type ExitKind = keyof typeof ExitCode

/** What each exit code means, as the README and `ummah help exit-codes` say it. */
export const EXIT_MEANINGS: Record<ExitKind, string> = {
  ok: 'OK',
  unexpected:
    'Unexpected error; a `--jq` filter that failed on the output; a signature that did not verify; an assertion about the app that failed (`trigger --wait`, `webhooks expect`, `webhooks check-app`, `listen --chaos`)',
  usage: 'Bad usage or input (including a 400 from the gateway, a refused live change, a missing `--yes`)',
  auth: "Authentication or permission (no key, 401, 403; a relay token refused, revoked, or not the channel's)",
  notFound: 'Not found (404)',
  conflict: 'Conflict or invalid state (409, 422, 402; a cancelled statement asked to download)',
  rateLimited: 'Rate limited after retries (429)',
  network: 'Network or server error (connection refused or reset, timeout, 5xx after retries, a download cut short, no relay reachable at start)',
  notACommand: 'Unknown command (the nearest one is suggested)',
  interrupted: 'Interrupted (Ctrl-C)',
}

/**
 * Every error code (`error.code` in `--json` output) and the exit code it
 * ends the run with. A code not in this table does not compile.
 */
export const ERROR_CODES = {
  // 1
  unexpected: 'unexpected',
  unexpected_response: 'unexpected',
  response_too_large: 'unexpected',
  bad_next_link: 'unexpected',
  bad_download_url: 'unexpected',
  jq_failed: 'unexpected',
  jq_timeout: 'unexpected',
  invalid_signature: 'unexpected',
  relay_failed: 'unexpected',
  relay_response_too_large: 'unexpected',
  app_rejected: 'unexpected',
  not_delivered: 'unexpected',
  check_failed: 'unexpected',
  chaos_accepted: 'unexpected',
  // 2
  usage: 'usage',
  bad_request: 'usage',
  foreign_url: 'usage',
  relay_bad_request: 'usage',
  // 3
  no_api_key: 'auth',
  authentication_failed: 'auth',
  permission_denied: 'auth',
  no_relay_token: 'auth',
  relay_unauthorized: 'auth',
  relay_forbidden: 'auth',
  relay_token_revoked: 'auth',
  oauth2_refused: 'auth',
  // 4
  not_found: 'notFound',
  download_not_found: 'notFound',
  relay_not_found: 'notFound',
  relay_channel_deleted: 'notFound',
  // 5
  conflict: 'conflict',
  payment_failed: 'conflict',
  unprocessable: 'conflict',
  statement_not_ready: 'conflict',
  relay_conflict: 'conflict',
  // 6
  rate_limited: 'rateLimited',
  // 7
  server_error: 'network',
  connection_failed: 'network',
  proxy_failed: 'network',
  download_failed: 'network',
  download_truncated: 'network',
  statement_timeout: 'network',
  relay_unreachable: 'network',
  oauth2_unreachable: 'network',
  forward_failed: 'network',
  // 127
  not_a_command: 'notACommand',
  // 130
  interrupted: 'interrupted',
  // 0: oclif's own exit after --help and the like; never shown.
  exit: 'ok',
} as const satisfies Record<string, ExitKind>

export type ErrorCode = keyof typeof ERROR_CODES

export function exitCodeOf(code: ErrorCode): number {
  return ExitCode[ERROR_CODES[code]]
}

export interface UmmahErrorOptions {
  code: ErrorCode
  hint?: string
  cause?: unknown
}

export class UmmahError extends Error {
  readonly code: ErrorCode
  readonly hint?: string

  constructor(message: string, options: UmmahErrorOptions) {
    super(message, {cause: options.cause})
    this.name = new.target.name
    this.code = options.code
    this.hint = options.hint
  }

  get exitCode(): number {
    return exitCodeOf(this.code)
  }

  /** Extra lines shown under the message (field errors). */
  detailLines(): string[] {
    return []
  }

  toJSON(): Record<string, unknown> {
    return {code: this.code, message: this.message, ...(this.hint ? {hint: this.hint} : {})}
  }
}

/** Bad flags, arguments or input: nothing was sent. */
export class UsageError extends UmmahError {
  constructor(message: string, hint?: string) {
    super(message, {code: 'usage', hint})
  }
}

export type FieldErrors = Record<string, string[]>

/**
 * Input that failed the local checks, keyed by the flag it came from
 * (`--email`, `--product #2`): nothing was sent.
 */
export class InputError extends UsageError {
  readonly problems: FieldErrors

  constructor(problems: FieldErrors, hint?: string) {
    const entries = Object.entries(problems)
    super(entries.length === 1 ? `${entries[0][0]}: ${entries[0][1].join(' ')}` : `${entries.length} flags are invalid`, hint)
    this.problems = problems
  }

  override detailLines(): string[] {
    const entries = Object.entries(this.problems)
    return entries.length === 1 ? [] : entries.map(([flag, messages]) => `${flag}: ${messages.join(' ')}`)
  }

  override toJSON(): Record<string, unknown> {
    return {...super.toJSON(), fields: this.problems}
  }
}

/**
 * An assertion about the app that did not hold (`trigger --wait`, `webhooks
 * expect`, `check-app`, `listen --chaos`): the report is still the output
 * (`--json` prints it with the error inside; a person sees it above the
 * error), and the exit code says it failed.
 */
export class AssertionFailed extends UmmahError {
  constructor(
    message: string,
    readonly report: Record<string, unknown>,
    options: {code: 'app_rejected' | 'not_delivered' | 'check_failed' | 'chaos_accepted'; hint?: string; lines?: string[]},
  ) {
    super(message, {code: options.code, hint: options.hint})
    this.lines = options.lines ?? []
  }

  private readonly lines: string[]

  override detailLines(): string[] {
    return this.lines
  }
}
