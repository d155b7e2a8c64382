/**
 * One sandbox for the end-to-end tests, on a free loopback port, started
 * before any test file and closed after the last. Each test file uses its
 * own sk_test_ key, so each has an account of its own.
 */
import type {TestProject} from 'vitest/node'

import {startSandbox} from '../../src/sandbox/server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    sandboxApiBase: string
  }
}

export default async function setup(project: TestProject) {
  // A statement delay long enough that `statements create --wait` really waits and a
  // `cancel` one CLI run after `create` still finds it processing on a loaded 2-core machine (1.2 s was not).
  const sandbox = await startSandbox({port: 0, host: '127.0.0.1', retryDelaysMs: [50, 100, 150], statementDelayMs: 3000})
  project.provide('sandboxApiBase', sandbox.apiBase)
  return () => sandbox.close()
}
