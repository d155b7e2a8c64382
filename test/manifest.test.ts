import {readFileSync, readdirSync} from 'node:fs'
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

  it("the build's manifest of each command and alias: the command and those below it, or every command for one that reads them all", () => {
    const {version, commands} = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
      version: string
      commands: Record<string, {aliases?: string[]; hiddenAliases?: string[]; needsEveryCommand?: boolean}>
    }
    const dir = join(ROOT, 'dist', 'bundle', 'manifests')
    const expected = new Map<string, string[]>()
    for (const [id, command] of Object.entries(commands)) {
      const own = command.needsEveryCommand
        ? Object.keys(commands)
        : Object.keys(commands).filter((other) => other === id || other.startsWith(`${id}:`))
      for (const name of [id, ...(command.aliases ?? []), ...(command.hiddenAliases ?? [])]) expected.set(`${name.replaceAll(':', '.')}.json`, own)
    }
    expect(readdirSync(dir).sort()).toEqual([...expected.keys()].sort())
    expect(expected.get('auth.status.json')).toEqual(['whoami'])
    expect(expected.get('completion.json')).toHaveLength(Object.keys(commands).length)
    for (const [file, ids] of expected) {
      const manifest = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {version: string; commands: Record<string, unknown>}
      expect({file, version: manifest.version, ids: Object.keys(manifest.commands)}).toEqual({file, version, ids})
      for (const id of ids) expect(manifest.commands[id]).toEqual(commands[id])
    }
  })
})
