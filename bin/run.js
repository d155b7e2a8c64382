#!/usr/bin/env node
// `--version` is answered before oclif loads, which is most of a bare start-up;
// the text is oclif's own user agent (test/cli/startup.test.ts compares them).
if (process.argv[2] === '--version') {
  const {readFileSync} = await import('node:fs')
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
