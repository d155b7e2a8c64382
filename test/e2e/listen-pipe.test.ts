/** `webhooks listen | head -n 1`: once its reader is gone, the listener stops cleanly (exit 0, no stack trace), as a Unix tool does. */
import {spawn} from 'node:child_process'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {ROOT, runCli, tempConfigDir, track} from '../helpers/cli.js'
import {App, until} from './listen-harness.js'

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, statementDelayMs: 0})
})
afterAll(() => sandbox.close())

describe('listen into a pipe whose reader goes away', {timeout: 60_000}, () => {
  for (const format of ['json', 'text']) {
    it(`--format ${format} | head -n 1: exits 0 at its next line, the webhook unsubscribed`, async () => {
      const env = {
        ...process.env,
        UMMAH_CONFIG_DIR: tempConfigDir(),
        UMMAH_SECRET_KEY: 'sk_test_listen_pipe',
        UMMAH_API_BASE: sandbox.apiBase,
        UMMAH_INSPECT_PORT: '0',
      }
      const app = new App()
      await app.start()
      const listen = `${process.execPath} ${join(ROOT, 'bin', 'run.js')} webhooks listen --forward 127.0.0.1:${app.port}/webhook --format ${format}`
      const shell = track(spawn('bash', ['-c', `${listen} | head -n 1; echo "listen exit \${PIPESTATUS[0]}"`], {env}))
      let stdout = ''
      let stderr = ''
      shell.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => shell.on('exit', resolve))
      await until(() => stdout.includes('\n'), 'the first line through head')
      // The next line it prints (the event) meets the closed pipe.
      expect((await runCli(['trigger', 'purchase.created'], {env})).code).toBe(0)
      expect(await exited).toBe(0)
      expect(stdout.split('\n').at(-2)).toBe('listen exit 0')
      expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/)
      // A clean stop: the webhook no longer subscribed.
      const webhooks = (await (await fetch(`${sandbox.apiBase}/webhooks/`, {headers: {authorization: 'Bearer sk_test_listen_pipe'}})).json()) as {
        results: Array<{events: string[]; all_events: boolean}>
      }
      expect(webhooks.results.every((webhook) => !webhook.all_events && webhook.events.length === 0)).toBe(true)
      await app.stop()
    })
  }
})
