#!/usr/bin/env node
// Writes the README's generated sections from the compiled tables (run after `npm run compile`):
// the exit-code table from src/shared/errors.ts, the environment and formatting tables from
// src/cli/help-tables.ts. test/cli/help-topics.test.ts fails when they differ.
import {readFileSync, writeFileSync} from 'node:fs'

const {environmentMarkdown, exitCodesMarkdown, formattingMarkdown} = await import('../dist/cli/help-topics.js')
const readme = new URL('../README.md', import.meta.url)
const text = readFileSync(readme, 'utf8')
const sections = {'exit-codes': exitCodesMarkdown, environment: environmentMarkdown, formatting: formattingMarkdown}
let next = text
for (const [name, generate] of Object.entries(sections)) {
  const markers = new RegExp(`(<!-- ${name}:start[^>]*-->\\n)[\\s\\S]*?(\\n<!-- ${name}:end -->)`)
  if (!markers.test(next)) throw new Error(`README.md has no ${name} markers`)
  next = next.replace(markers, (_, start, end) => `${start}${generate()}${end}`)
}
if (next !== text) writeFileSync(readme, next)
