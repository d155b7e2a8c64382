#!/usr/bin/env node
// The two most common bare start-ups skip oclif's Config, most of a start:
// `--version` (`-v`, `version`) prints oclif's user agent from package.json, and the root help
// is rendered by oclif's Help from the committed manifests
// (test/cli/startup.test.ts compares both with oclif).
// Node ≥ 22.1 keeps V8's compiled code of the bundle between runs (on disk, in the OS temp directory;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off); Node 20 has no such cache and does not even load node:module.
if (Number(process.versions.node.split('.')[0]) >= 22) (await import('node:module')).enableCompileCache?.()
const argv = process.argv.slice(2)
if (argv.length === 1 && ['--version', '-v', 'version'].includes(argv[0])) {
  const {readFileSync} = await import('node:fs')
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const rootHelp = argv.length <= 1 ? await import('../dist/bundle/root-help.js') : undefined
  // fileURLToPath, not URL.pathname: an install path with a space (%20) or a Windows drive letter.
  const root = rootHelp ? (await import('node:url')).fileURLToPath(new URL('..', import.meta.url)) : ''
  if (!(rootHelp?.isRootHelp(argv) && (await rootHelp.showRootHelp(root)))) {
    // oclif checks Node against its own engines (semver, ~5 ms); package.json's engines are stricter.
    process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
    const {run} = await import('../dist/bundle/ummah.js')
    await run(argv, import.meta.url)
  }
}
