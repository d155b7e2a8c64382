/**
 * Type-level tests: each `@ts-expect-error` below is a mistake the declared
 * tables make impossible. `npm run typecheck` (part of `npm test`) fails with
 * "Unused '@ts-expect-error' directive" the day one of them compiles again.
 * Nothing here runs.
 */
import {UmmahError} from '../../src/shared/errors.js'

export function errorCodes(): UmmahError[] {
  return [
    new UmmahError('declared', {code: 'relay_unreachable'}),
    // @ts-expect-error an error code not in ERROR_CODES
    new UmmahError('undeclared', {code: 'relay_exploded'}),
    // @ts-expect-error the exit code is read from the table, never written beside it
    new UmmahError('beside', {code: 'usage', exitCode: 2}),
  ]
}
