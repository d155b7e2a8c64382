/** `rsa-sha256` (Ummah, the default): X-Signature, base64 RSA PKCS#1 v1.5 over SHA-256 of the body. */
import {signRsaSha256, verifyRsaSha256} from './signature.js'
import type {Scheme} from './types.js'

export function rsaSha256Scheme(options: {publicKey: string; privateKey?: string}): Scheme {
  return {
    name: 'rsa-sha256',
    headers: ['x-signature'],
    verify: (request) => verifyRsaSha256(request.body, request.headers['x-signature'], options.publicKey),
    sign(body) {
      if (!options.privateKey) throw new Error('rsa-sha256 signing needs the private key')
      return {'x-signature': signRsaSha256(body, options.privateKey)}
    },
  }
}
