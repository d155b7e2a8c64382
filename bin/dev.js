#!/usr/bin/env node
// Development entry, for use beside `npx tsc -p tsconfig.build.json --watch`:
// re-bundles what tsc compiled into dist/ (the CLI runs from dist/bundle) and
// runs it ignoring oclif.manifest.json, so changed commands and flags show up
// without `npm run build`. CommonJS, like run.js (bin/package.json).
'use strict'
;(async () => {
  await import('../scripts/bundle.mjs')
  const {execute} = await import('@oclif/core')
  // The root, not this file's URL: oclif would take bin/package.json (it only says CommonJS) for the CLI's.
  await execute({development: true, loadOptions: {root: require('node:path').join(__dirname, '..')}})
})()
