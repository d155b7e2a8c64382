#!/usr/bin/env node
// After `oclif manifest` (npm run build), and from the committed manifest in `npm run compile`:
// - oclif.manifest.json written without indentation: oclif reads and parses the whole file on every
//   command's start-up (420 KB indented, 288 KB not; ~3 ms of a start here).
// - dist/bundle/manifests/ID.json (`:` written `.`), one for each command id and alias: what a run of that
//   command gives oclif's Config in place of the whole manifest (src/cli/launch.ts): the command and any below
//   it (its help lists them), or every command for one that reads them all (`static needsEveryCommand`).
//   oclif sets up each command it is given: one instead of 84 is ~25 ms of an API command's start here
//   (31 interleaved runs each).
// - dist/bundle/root-help.json: the same commands without their flags, args and examples, which the root
//   help never shows (src/cli/root-help.ts): 45 KB to read and parse instead of 420, ~15 ms of a 145 ms
//   `ummah --help` on this machine (15 interleaved runs each).
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

const root = new URL('..', import.meta.url).pathname
const file = join(root, 'oclif.manifest.json')
const text = readFileSync(file, 'utf8')
const manifest = JSON.parse(text)
const compact = `${JSON.stringify(manifest)}\n`
if (compact !== text) writeFileSync(file, compact)

const bundle = join(root, 'dist', 'bundle')
if (!existsSync(bundle)) throw new Error('dist/bundle is missing: run `npm run compile` first')
const commands = Object.fromEntries(
  Object.entries(manifest.commands).map(([id, {flags: _flags, args: _args, examples: _examples, ...command}]) => [id, command]),
)
const manifests = join(bundle, 'manifests')
rmSync(manifests, {recursive: true, force: true})
mkdirSync(manifests)
for (const [id, command] of Object.entries(manifest.commands)) {
  const own = command.needsEveryCommand
    ? manifest.commands
    : Object.fromEntries(Object.entries(manifest.commands).filter(([other]) => other === id || other.startsWith(`${id}:`)))
  const text = JSON.stringify({version: manifest.version, commands: own})
  for (const name of [id, ...(command.aliases ?? []), ...(command.hiddenAliases ?? [])])
    writeFileSync(join(manifests, `${name.replaceAll(':', '.')}.json`), text)
}
writeFileSync(join(bundle, 'root-help.json'), JSON.stringify({version: manifest.version, commands}))
console.log(`manifest: ${Object.keys(commands).length} commands, root help index ${Buffer.byteLength(JSON.stringify(commands))} bytes`)
