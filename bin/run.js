#!/usr/bin/env node
// CommonJS (bin/package.json): Node starts a CommonJS entry without its ES module loader, which `--version`
// never needs (1.17× `node -e 0` as an ES module, 1.04× so); everything else requires the bundle, CommonJS too.
// The two most common bare start-ups skip oclif's Config, most of a start:
// `--version` (`-v`, `version`) prints oclif's user agent from package.json, and the root help
// is rendered by oclif's Help from the committed manifests
// (test/cli/startup.test.ts compares both with oclif).
// Everything else runs the bundle (CommonJS) through V8's code cache (code-cache.js).
'use strict'
const argv = process.argv.slice(2)
if (argv.length === 1 && ['--version', '-v', 'version'].includes(argv[0])) {
  const {name, version} = JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'package.json'), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const path = require('node:path')
  const root = path.join(__dirname, '..')
  const bundle = path.join(root, 'dist', 'bundle')
  require('./code-cache.js').install(bundle)
  ;(async () => {
    const rootHelp = argv.length <= 1 ? require(path.join(bundle, 'root-help.js')) : undefined
    // Written: the process ends once stdout has it all, without Node's teardown (~6 ms of a 140 ms root help here, 31 interleaved runs).
    if (rootHelp?.isRootHelp(argv) && (await rootHelp.showRootHelp(root))) process.stdout.write('', () => process.exit())
    else {
      // oclif checks Node against its own engines (semver, ~5 ms); package.json's engines are stricter.
      process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
      // A file URL, never a path pasted into one: an install path with a space (%20) or a Windows drive letter.
      await require(path.join(bundle, 'ummah.js')).run(argv, require('node:url').pathToFileURL(__filename).href)
    }
  })()
}
