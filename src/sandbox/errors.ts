/** HTTP failures of the sandbox, with the documented error bodies. */
import type {FieldErrors} from '../shared/errors.js'

export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? body.detail ?? body.error))
  }
}

export function badRequest(details: FieldErrors): SandboxError {
  return new SandboxError(400, {error: 'Bad Request', details})
}

export function notFound(): SandboxError {
  return new SandboxError(404, {error: 'Not Found', detail: 'Object with this ID does not exist.'})
}

/** A transition the state machine forbids; the body names the object's current status. */
export function conflict(message: string, status?: string): SandboxError {
  return new SandboxError(409, {error: 'Conflict', message, ...(status ? {status} : {})})
}
