// Preloaded with `node --import` by the start-up test: records every module
// the ESM loader resolves into the file named by UMMAH_IMPORT_TRACE.
import {register} from 'node:module'

register('./trace-imports-hooks.mjs', import.meta.url, {data: {file: process.env.UMMAH_IMPORT_TRACE}})
