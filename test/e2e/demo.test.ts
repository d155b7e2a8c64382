/** The README's main job (`npm run demo`): sandbox, listen, the example app, trigger, a verified event. */
import {execFile} from 'node:child_process'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'

it('examples/demo.mjs shows the example app verifying purchase.paid', async () => {
  const {stdout} = await promisify(execFile)(process.execPath, [join(ROOT, 'examples', 'demo.mjs')], {timeout: 60_000})
  expect(stdout).toMatch(/^app {4}\| VERIFIED purchase\.paid evt-[\w-]+ paid$/m)
  expect(stdout).toMatch(/^listen \| Stopped\. Received 2, delivered 2, failed 0, pending 0/m)
}, 60_000)
