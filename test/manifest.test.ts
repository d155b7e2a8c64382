import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Plugin} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {ROOT} from './helpers/cli.js'

describe('oclif.manifest.json', () => {
  it('matches the compiled commands (run `npm run build` and commit it when this fails)', async () => {
    const plugin = new Plugin({root: ROOT, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
    await plugin.load()
    const committed = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(committed).toEqual(JSON.parse(JSON.stringify(plugin.manifest)))
  })
})
