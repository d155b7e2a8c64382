#!/usr/bin/env node
// Development entry: ignores oclif.manifest.json so commands compiled by
// `npx tsc -p tsconfig.build.json --watch` are picked up without regenerating it.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
