#!/usr/bin/env node
// Bundles the compiled CLI (dist/) and its dependencies into dist/bundle/ so a
// start-up reads a handful of files instead of hundreds: Node 20 has no
// compile cache, and resolving and loading @oclif/core's 80 CommonJS files
// (semver's another 47) alone cost about as much as a bare `node` start. Every command lives in
// one entry, which oclif reads through its explicit command strategy
// (package.json oclif.commands); what commands import lazily (undici, the
// sandbox, the listener, prompts, tables) becomes chunks loaded only then.
// The files are CommonJS (dist/bundle/package.json): esbuild splits only ES
// modules, so each output is then transformed on its own (imports become
// require(), import() a require() in a promise). bin/run.js loads them with
// V8's code cache (bin/code-cache.js), which Node 20 has no other way to keep;
// dist/bundle/package.json's buildId names the build the cache belongs to.
// dist/bundle-meta.json maps each chunk to its inputs for the start-up test
// (beside the bundle, not in it: the package ships dist/bundle alone), and
// dist/bundle/THIRD-PARTY-LICENSES.txt holds the licence of every package
// the bundle contains.
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {dirname, join, relative, sep} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {build, transform} from 'esbuild'

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

// Each command's module runs when oclif first asks for its class (a getter, a require() esbuild keeps lazy):
// a run defines the one command it runs, not all 84 (~6 ms of a start-up here). The ids and aliases
// launch() needs are read here, at build time.
const aliases = await Promise.all(commands.map(async ({path}) => (await import(pathToFileURL(path).href)).default.aliases ?? []))
const entry = [
  `import {launch} from ${JSON.stringify(join(ROOT, 'dist', 'cli', 'launch.js'))}`,
  `export const COMMANDS = {`,
  ...commands.map(({id, path}) => `  get ${JSON.stringify(id)}() { return require(${JSON.stringify(path)}).default },`),
  `}`,
  `const IDS = new Set(${JSON.stringify([...commands.map(({id}) => id), ...aliases.flat()])})`,
  `export const run = (argv, binUrl) => launch(argv, binUrl, IDS)`,
].join('\n')

/** node_modules/a/node_modules/@s/b/lib/x.js → node_modules/a/node_modules/@s/b: the package a file belongs to. */
function packageDir(path) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(path)
  return match?.[1]
}

/**
 * npm nests a package once per dependent when another version sits at the
 * top (the four @inquirer prompts each hold their own @inquirer/core 12.1.1,
 * because oclif's older prompts have 9.x on top): bundled as found, each copy
 * would be in the bundle. Every file of a package name@version resolves to
 * the first copy seen, so the bundle holds one.
 */
const oneCopyPerVersion = {
  name: 'one-copy-per-version',
  setup(build) {
    const canonical = new Map()
    build.onResolve({filter: /^[^./]/}, async (args) => {
      if (args.pluginData?.oneCopy || args.kind === 'entry-point') return undefined
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: {oneCopy: true},
      })
      // Unresolvable (an optional import in a try), external or virtual: esbuild's own resolution decides, as without this plugin.
      if (resolved.errors.length > 0 || resolved.external || !resolved.path) return undefined
      const dir = packageDir(resolved.path)
      if (!dir) return {path: resolved.path, sideEffects: resolved.sideEffects}
      const {name, version} = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      const key = `${name}@${version}`
      if (!canonical.has(key)) canonical.set(key, dir)
      return {path: join(canonical.get(key), relative(dir, resolved.path)), sideEffects: resolved.sideEffects}
    })
  },
}

/** `const node_X_1 = require("node:X");` in oclif's compiled CommonJS, and the same module required on first use. */
const lazyBuiltin = (module) => [
  `const node_${module}_1 = require("node:${module}");`,
  `const node_${module}_1 = new Proxy({}, {get: (_, key) => process.getBuiltinModule("node:${module}")[key]});`,
]

/**
 * What oclif does on every run that a run of ours does not need, each edit
 * an exact text of @oclif/core's (the build fails when one is not found, as
 * after an upgrade that moved it), each measured here:
 * - config/plugin.js sorts a plugin's commands with localeCompare: the first
 *   localeCompare of a process builds ICU's collator, 7.5 ms, and nothing
 *   else a command runs needs it. Command ids are lowercase letters, `-` and
 *   `:`, which sort the same by code unit.
 * - config/plugin.js reads the CLI's manifest from the file launch() names
 *   (settings.ummahManifest: the manifest of the one command a run runs,
 *   src/cli/launch.ts), else oclif.manifest.json.
 * - util/os.js finds the platform ("wsl" or Node's) by importing wsl-utils,
 *   which loads node:child_process and PowerShell helpers to re-export
 *   is-wsl's answer: is-wsl itself gives the same value (~4 ms of a start).
 * - util/os.js, parser/parse.js and performance.js require node:child_process
 *   (a Windows shell check), node:readline (a `-` argument read from stdin)
 *   and node:perf_hooks (OCLIF_PERFORMANCE) when they load, for paths a run
 *   seldom takes: ~0.8 ms each after node:http, required on first use instead.
 */
const OCLIF_EDITS = {
  'config/plugin.js': [
    ['.sort((a, b) => a.id.localeCompare(b.id));', '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));'],
    [
      "const p = (0, node_path_1.join)(this.root, `${dotfile ? '.' : ''}oclif.manifest.json`);",
      "const p = (this.isRoot && globalThis.oclif?.ummahManifest) || (0, node_path_1.join)(this.root, `${dotfile ? '.' : ''}oclif.manifest.json`);",
    ],
  ],
  'util/os.js': [["(await import('wsl-utils')).isWsl", "(await import('is-wsl')).default"], lazyBuiltin('child_process')],
  'parser/parse.js': [lazyBuiltin('readline')],
  'performance.js': [lazyBuiltin('perf_hooks')],
}
const oclifEdits = {
  name: 'oclif-edits',
  setup(build) {
    build.onLoad({filter: /@oclif\/core\/lib\/(config\/plugin|util\/os|parser\/parse|performance)\.js$/}, (args) => {
      let source = readFileSync(args.path, 'utf8')
      for (const [from, to] of OCLIF_EDITS[args.path.split('/@oclif/core/lib/')[1]]) {
        if (!source.includes(from)) throw new Error(`${args.path} no longer has \`${from}\`: see OCLIF_EDITS`)
        source = source.replace(from, to)
      }
      return {contents: source, loader: 'js'}
    })
  },
}

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
    oneCopyPerVersion,
    oclifEdits,
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
  metafile: true,
  logLevel: 'warning',
})

/**
 * esbuild turns every import() into a require() in a promise: right for the
 * bundle's own chunks, Node built-ins and CommonJS packages, wrong for what
 * only import() loads (oclif's ES module plugins, by a computed file URL).
 * Those calls, whose specifier is not a string literal, go to import() in
 * dynamic-import.js: code compiled from V8's cache (bin/code-cache.js) cannot
 * call import() itself without an experimental flag.
 */
const CONVERTED_IMPORT = 'Promise.resolve().then(() => __toESM(require('
function computedImports(code, file) {
  let out = ''
  let from = 0
  for (let at = code.indexOf(CONVERTED_IMPORT); at !== -1; at = code.indexOf(CONVERTED_IMPORT, at + 1)) {
    const start = at + CONVERTED_IMPORT.length
    if (/^["'`]/.test(code[start])) continue
    let depth = 1
    let end = start
    for (; depth > 0; end++) {
      if (end >= code.length || /["'`]/.test(code[end])) throw new Error(`${file}: an import() of an expression with a string in it, at ${at}`)
      if (code[end] === '(') depth++
      else if (code[end] === ')') depth--
    }
    // end is past require's ')'; then __toESM's and then()'s.
    if (code.slice(end, end + 2) !== '))') throw new Error(`${file}: an unexpected import() conversion at ${at}`)
    out += `${code.slice(from, at)}__ummahImport(${code.slice(start, end - 1)})`
    from = end + 2
  }
  return out + code.slice(from)
}

// Each ES module output becomes a CommonJS file. `import.meta.url` (a worker's file, beside its module) is the file's own URL.
writeFileSync(
  join(OUT_DIR, 'dynamic-import.js'),
  `// Not compiled from V8's cache (bin/code-cache.js): import() works here.\nmodule.exports = (specifier) => import(specifier)\n`,
)
const buildHash = createHash('sha256')
for (const output of Object.keys(result.metafile.outputs).filter((path) => path.endsWith('.js'))) {
  const file = join(ROOT, output)
  const transformed = await transform(readFileSync(file, 'utf8'), {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    supported: {'dynamic-import': false},
    define: {'import.meta.url': '__ummahModuleUrl'},
    sourcefile: relative(OUT_DIR, file),
    logLevel: 'warning',
  })
  const converted = computedImports(transformed.code, file)
  // Each only where it is used: a file URL per file is work every start-up would do ~30 times.
  const banner = [
    converted.includes('__ummahModuleUrl') ? `var __ummahModuleUrl = require('node:url').pathToFileURL(__filename).href;\n` : '',
    converted.includes('__ummahImport(') ? `var __ummahImport = require('./dynamic-import.js');\n` : '',
  ]
  const code = banner.join('') + converted
  writeFileSync(file, code)
  buildHash.update(`${relative(OUT_DIR, file)}\0${code}\0`)
}
writeFileSync(join(OUT_DIR, 'package.json'), `${JSON.stringify({type: 'commonjs', buildId: buildHash.digest('hex').slice(0, 16)})}\n`)

const chunks = Object.fromEntries(
  Object.entries(result.metafile.outputs).map(([output, {inputs}]) => [
    relative(OUT_DIR, join(ROOT, output)),
    Object.keys(inputs).filter((input) => !input.startsWith('ummah:')),
  ]),
)
writeFileSync(join(ROOT, 'dist', 'bundle-meta.json'), `${JSON.stringify(chunks, null, 1)}\n`)

const LICENCE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt|mit))?$/i
const packages = new Map()
for (const input of Object.values(chunks).flat()) {
  const dir = packageDir(input)
  if (!dir || packages.has(dir)) continue
  const pjson = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'))
  const files = readdirSync(join(ROOT, dir))
    .filter((name) => LICENCE_FILE.test(name))
    .sort()
  packages.set(dir, {
    name: pjson.name,
    version: pjson.version,
    license: typeof pjson.license === 'string' ? pjson.license : (pjson.license?.type ?? 'UNKNOWN'),
    files: files.map((name) => readFileSync(join(ROOT, dir, name), 'utf8').trim()),
  })
}
const sections = [...packages.values()]
  .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version))
  .map((item) =>
    [
      `${item.name}@${item.version} (${item.license})`,
      '',
      ...(item.files.length > 0 ? item.files : [`${item.license}: the package ships no licence file; its package.json names this licence.`]),
    ].join('\n'),
  )
const header = `The ummah bundle (dist/bundle) contains code from these ${packages.size} packages, under these licences.\n`
writeFileSync(join(OUT_DIR, 'THIRD-PARTY-LICENSES.txt'), `${[header, ...sections].join(`\n\n${'='.repeat(72)}\n\n`)}\n`)
if (!existsSync(join(OUT_DIR, 'THIRD-PARTY-LICENSES.txt'))) throw new Error('no licence file written')
