/**
 * Ummah's webhook signature (reference, "Webhook Verification Guide"):
 * `X-Signature` is the base64 RSA PKCS#1 v1.5 signature over the SHA-256
 * digest of the exact body bytes. Verification works on the bytes as received;
 * re-serialised JSON would not match.
 */
import {type KeyObject, createPublicKey, sign, verify} from 'node:crypto'

export type Verdict = {ok: true} | {ok: false; reason: string}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

export function signRsaSha256(body: Buffer, privateKeyPem: string): string {
  return sign('sha256', body, privateKeyPem).toString('base64')
}

/** The last key parsed: a listener verifies every delivery with the same one, and parsing PEM costs more than verifying. */
let cached: {pem: string; key: KeyObject; size: number | undefined} | undefined

function parsePublicKey(pem: string): {key: KeyObject; size: number | undefined} | undefined {
  if (cached?.pem === pem) return cached
  try {
    const key = createPublicKey(pem)
    cached = {pem, key, size: key.asymmetricKeyDetails?.modulusLength}
    return cached
  } catch {
    return undefined
  }
}

/** Whether `signature` (the X-Signature value) signs `body` under `publicKeyPem`, and if not, why. */
export function verifyRsaSha256(body: Buffer, signature: string | undefined, publicKeyPem: string): Verdict {
  const text = (signature ?? '').trim()
  if (!text) return {ok: false, reason: 'no X-Signature header'}
  if (text.length % 4 !== 0 || !BASE64.test(text)) return {ok: false, reason: 'X-Signature is not valid base64'}
  const parsed = parsePublicKey(publicKeyPem)
  if (!parsed) return {ok: false, reason: 'the public key is not a valid PEM key'}
  const {key, size} = parsed
  const bytes = Buffer.from(text, 'base64')
  if (size !== undefined && bytes.length !== size / 8) {
    return {ok: false, reason: `the signature is ${bytes.length} bytes, not the ${size / 8} an RSA-${size} key makes: wrong key or truncated header`}
  }
  if (verify('sha256', body, key, bytes)) return {ok: true}
  return {ok: false, reason: 'the signature does not match: the body was modified, or it was signed with another key'}
}
