#!/usr/bin/env node
// Writes the README's generated sections from the compiled tables (run after `npm run compile`):
// the exit-code table from src/shared/errors.ts. test/cli/help-topics.test.ts fails when they differ.
import {readFileSync, writeFileSync} from 'node:fs'

const {exitCodesMarkdown} = await import('../dist/cli/help-topics.js')
const readme = new URL('../README.md', import.meta.url)
const text = readFileSync(readme, 'utf8')
const next = text.replace(
  /(<!-- exit-codes:start[^>]*-->\n)[\s\S]*?(\n<!-- exit-codes:end -->)/,
  (_, start, end) => `${start}${exitCodesMarkdown()}${end}`,
)
if (next !== text) writeFileSync(readme, next)
