#!/usr/bin/env node
// Bundles the compiled CLI (dist/) and its dependencies into dist/bundle/ so a
// start-up reads a handful of files instead of hundreds: Node 20 has no
// compile cache, and resolving and loading @oclif/core's 80 CommonJS files
// (semver's another 47) alone cost about as much as a bare `node` start. Every command lives in
// one entry, which oclif reads through its explicit command strategy
// (package.json oclif.commands); what commands import lazily (undici, the
// sandbox, the listener, prompts, tables) becomes chunks loaded only then.
// dist/bundle/meta.json maps each chunk to its inputs for the start-up test.
import {readdirSync, writeFileSync} from 'node:fs'
import {dirname, join, relative, sep} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const COMMANDS_DIR = join(ROOT, 'dist', 'commands')
const OUT_DIR = join(ROOT, 'dist', 'bundle')

/** dist/commands/templates/subscribers/pause.js → templates:subscribers:pause, as oclif's pattern strategy names it. */
function commandFiles(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return commandFiles(path)
    return entry.name.endsWith('.js') ? [path] : []
  })
}

const commands = commandFiles(COMMANDS_DIR)
  .map((path) => ({path, id: relative(COMMANDS_DIR, path).slice(0, -'.js'.length).split(sep).join(':')}))
  .sort((a, b) => a.id.localeCompare(b.id))

const entry = [
  `import {launch} from ${JSON.stringify(join(ROOT, 'dist', 'cli', 'launch.js'))}`,
  ...commands.map(({path}, index) => `import Command${index} from ${JSON.stringify(path)}`),
  `export const COMMANDS = {`,
  ...commands.map(({id}, index) => `  ${JSON.stringify(id)}: Command${index},`),
  `}`,
  `const IDS = new Set(Object.entries(COMMANDS).flatMap(([id, command]) => [id, ...(command.aliases ?? [])]))`,
  `export const run = (argv, binUrl) => launch(argv, binUrl, IDS)`,
].join('\n')

const result = await build({
  // ummah.js: every command; root-help.js: `ummah --help` without oclif's Config (src/cli/root-help.ts);
  // jq-worker.js: the thread --jq filters run in (src/cli/jq.ts).
  entryPoints: [
    {in: 'ummah-entry', out: 'ummah'},
    {in: join(ROOT, 'dist', 'cli', 'root-help.js'), out: 'root-help'},
    {in: join(ROOT, 'dist', 'cli', 'jq-worker.js'), out: 'jq-worker'},
  ],
  plugins: [
    {
      name: 'ummah-entry',
      setup: (build) => {
        build.onResolve({filter: /^ummah-entry$/}, () => ({path: 'ummah-entry', namespace: 'ummah'}))
        build.onLoad({filter: /.*/, namespace: 'ummah'}, () => ({contents: entry, resolveDir: ROOT}))
      },
    },
  ],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: OUT_DIR,
  chunkNames: 'chunk-[hash]',
  // oclif reaches for these only to run TypeScript sources in development; @napi-rs/keyring
  // (config/keychain.ts) is a native binding, loaded from node_modules with its prebuilt binary.
  external: ['typescript', 'ts-node', 'tsx', '@napi-rs/keyring'],
  // Bundled CommonJS still calls require() for Node built-ins and optional modules.
  banner: {js: `import {createRequire as __ummahCreateRequire} from 'node:module'; const require = __ummahCreateRequire(import.meta.url);`},
  metafile: true,
  logLevel: 'warning',
})

const chunks = Object.fromEntries(
  Object.entries(result.metafile.outputs).map(([output, {inputs}]) => [
    relative(OUT_DIR, join(ROOT, output)),
    Object.keys(inputs).filter((input) => !input.startsWith('ummah:')),
  ]),
)
writeFileSync(join(OUT_DIR, 'meta.json'), `${JSON.stringify(chunks, null, 1)}\n`)
