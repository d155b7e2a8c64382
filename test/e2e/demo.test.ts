/** The README's main job (`npm run demo`): sandbox, listen, the example app, trigger, a verified event. */
import {execFile} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {expect, it} from 'vitest'

import {ROOT, tempDir} from '../helpers/cli.js'

it('examples/demo.mjs shows the example app verifying purchase.paid, and leaves nothing behind', async () => {
  // Where the user's own sandbox state and temporary files would go: both stay empty.
  const data = tempDir('ummah-demo-data-')
  const tmp = tempDir('ummah-demo-tmp-')
  const {stdout} = await promisify(execFile)(process.execPath, [join(ROOT, 'examples', 'demo.mjs')], {
    timeout: 60_000,
    env: {...process.env, XDG_DATA_HOME: data, UMMAH_DATA_DIR: '', TMPDIR: tmp, UMMAH_INSPECT_PORT: '0'},
  })
  expect(readdirSync(data)).toEqual([])
  expect(readdirSync(tmp)).toEqual([])
  expect(stdout).toMatch(/^app {4}\| VERIFIED purchase\.paid evt-[\w-]+ paid$/m)
  expect(stdout).toMatch(/^listen \| Stopped\. Received 2, delivered 2, failed 0, pending 0/m)
}, 60_000)
