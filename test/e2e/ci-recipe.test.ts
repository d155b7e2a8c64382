/** examples/ci.sh as it is written, against the example app (exit 0) and an app that checks no signature (exit 1). */
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {WEBHOOK_EVENTS} from '../../src/api/endpoints.js'
import {ROOT, cliEnv, track} from '../helpers/cli.js'
import {freePort} from '../helpers/server.js'

const SCRIPT = join(ROOT, 'examples', 'ci.sh')

async function ciScript(app?: string): Promise<{code: number | null; stdout: string; stderr: string}> {
  const env = {
    ...cliEnv(),
    UMMAH: `${process.execPath} ${join(ROOT, 'bin', 'run.js')}`,
    APP_PORT: String(await freePort()),
    ...(app ? {APP: app} : {}),
  }
  const child = track(spawn('bash', [SCRIPT], {env, cwd: ROOT}))
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), 150_000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(timer)
  return {code, stdout, stderr}
}

describe('examples/ci.sh', {timeout: 320_000}, () => {
  it('triggers every event the CLI can cause', () => {
    const listed = /^EVENTS="([^"]+)"$/m.exec(readFileSync(SCRIPT, 'utf8'))![1].split(' ')
    expect([...listed].sort()).toEqual([...WEBHOOK_EVENTS].sort())
  })

  it('passes with the example app: every event acknowledged, every check passed', async () => {
    const {code, stdout, stderr} = await ciScript()
    expect(code, stderr).toBe(0)
    for (const event of WEBHOOK_EVENTS)
      expect(stdout).toMatch(new RegExp(`^✓ ${event.replace('.', '\\.')} evt-[\\w-]+: the app answered 200 in \\d+ ms$`, 'm'))
    expect(stdout).toMatch(/^19 passed, 0 failed, 0 warned\./m)
  })

  it('fails (exit 1) with an app that checks no signature, naming the checks and showing its log', async () => {
    const {code, stdout, stderr} = await ciScript(`${process.execPath} ${join(ROOT, 'test', 'fixtures', 'apps', 'no-signature-check.mjs')}`)
    expect(code).toBe(1)
    expect(stdout).toMatch(/^✗ forged signature +FAIL {2}200 in \d+ ms \(expected 4xx/m)
    expect(stdout).toMatch(/^✗ stale event \(created 11 minutes ago\) +FAIL/m)
    expect(stderr).toContain('Error: 5 required checks of the webhook checklist failed.')
    expect(stderr).toMatch(/^--- the app's log\n(.|\n)*ACCEPTED purchase\.created/m)
  })
})

describe('the README', () => {
  it('shows examples/ci.sh and the workflow exactly as they are', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    expect(readme).toContain(`\`\`\`sh\n${readFileSync(SCRIPT, 'utf8')}\`\`\``)
    expect(readme).toContain(`\`\`\`yaml\n${readFileSync(join(ROOT, 'examples', 'github-actions.yml'), 'utf8')}\`\`\``)
  })
})
