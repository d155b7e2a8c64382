#!/usr/bin/env node
// CommonJS (bin/package.json): Node starts a CommonJS entry without its ES module loader, which `--version`
// never needs (1.17× `node -e 0` as an ES module, 1.04× so); everything else loads the bundle with import().
// The two most common bare start-ups skip oclif's Config, most of a start:
// `--version` (`-v`, `version`) prints oclif's user agent from package.json, and the root help
// is rendered by oclif's Help from the committed manifests
// (test/cli/startup.test.ts compares both with oclif).
// Node ≥ 22.1 keeps V8's compiled code of the bundle between runs (on disk, in the OS temp directory;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off); Node 20 has no such cache and does not even load node:module.
'use strict'
if (Number(process.versions.node.split('.')[0]) >= 22) require('node:module').enableCompileCache?.()
const argv = process.argv.slice(2)
if (argv.length === 1 && ['--version', '-v', 'version'].includes(argv[0])) {
  const {name, version} = JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'package.json'), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // pathToFileURL/fileURLToPath, never a URL's pathname: an install path with a space (%20) or a Windows drive letter.
  const {fileURLToPath, pathToFileURL} = require('node:url')
  const self = pathToFileURL(__filename)
  ;(async () => {
    const rootHelp = argv.length <= 1 ? await import(new URL('../dist/bundle/root-help.js', self).href) : undefined
    const root = rootHelp ? fileURLToPath(new URL('..', self)) : ''
    if (!(rootHelp?.isRootHelp(argv) && (await rootHelp.showRootHelp(root)))) {
      // oclif checks Node against its own engines (semver, ~5 ms); package.json's engines are stricter.
      process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
      const {run} = await import(new URL('../dist/bundle/ummah.js', self).href)
      await run(argv, self.href)
    }
  })()
}
