/**
 * Defaults more than one layer needs (a flag's default and the code that runs
 * without the flag), written once. Data only: flag definitions import it at
 * start-up.
 */

/** Where servers listen unless told otherwise: this machine only. */
export const LOCAL_HOST = '127.0.0.1'

/** `ummah sandbox start`'s port, and the sandbox profile's api_base. */
export const SANDBOX_PORT = 8420

/** `ummah relay start`'s port. */
export const RELAY_PORT = 8430

/** Seconds to wait for each API request attempt (--timeout). */
export const REQUEST_TIMEOUT_SECONDS = 30

/** Retries of 429, 5xx and connection failures (--max-retries). */
export const MAX_RETRIES = 2
