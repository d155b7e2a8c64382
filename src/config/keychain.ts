/**
 * The operating system's keychain (macOS Keychain, Windows Credential
 * Manager, the Secret Service on Linux) through @napi-rs/keyring, a native
 * binding whose prebuilt binaries ship inside its npm packages. Imported only
 * by what reads or writes a keychain entry: help, version and test-key
 * commands never load it (test/cli/startup.test.ts).
 *
 * On Linux the binding falls back to the kernel keyring when no Secret
 * Service answers; that keyring is per login session and empty after a
 * reboot, so a live key kept there would be lost without a word. Entries are
 * pinned to the Secret Service instead, and its absence is an error the
 * caller can explain.
 */
import type {AsyncEntry} from '@napi-rs/keyring'

/** Every entry's service name; the account names a profile and a random id (config/keys.ts). */
export const KEYCHAIN_SERVICE = 'ummah'

// A locked keychain may put up an unlock prompt; 60 s is time to type a password, and a bound for a prompt nobody sees.
const KEYCHAIN_TIMEOUT_MS = 60_000

/** The keychain could not be reached or refused the operation; `reason` is the platform's own words. */
export class KeychainError extends Error {
  constructor(readonly reason: string) {
    super(`keychain: ${reason}`)
  }
}

/** The platform's message without the binding's prefixes, on one line. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const line = message
    .split('\n')[0]
    .replace(/^(Platform failure|Couldn't access platform storage): /, '')
    .trim()
  return line || 'unknown error'
}

async function entry(account: string): Promise<AsyncEntry> {
  try {
    const {AsyncEntry} = await import('@napi-rs/keyring')
    return new AsyncEntry(KEYCHAIN_SERVICE, account, {linux: {store: 'secret-service'}})
  } catch (error) {
    throw new KeychainError(reasonOf(error))
  }
}

async function attempt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  try {
    return await run(AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS))
  } catch (error) {
    if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') {
      throw new KeychainError(`no answer in ${KEYCHAIN_TIMEOUT_MS / 1000} s (is an unlock prompt waiting?)`)
    }
    throw new KeychainError(reasonOf(error))
  }
}

export async function setSecret(account: string, secret: string): Promise<void> {
  const item = await entry(account)
  await attempt((signal) => item.setPassword(secret, signal))
}

/** The secret, or undefined when the keychain has no such entry. */
export async function getSecret(account: string): Promise<string | undefined> {
  const item = await entry(account)
  return (await attempt((signal) => item.getPassword(signal))) ?? undefined
}

/** Deletes the entry; false when there was none. */
export async function deleteSecret(account: string): Promise<boolean> {
  const item = await entry(account)
  return attempt((signal) => item.deleteCredential(signal))
}
