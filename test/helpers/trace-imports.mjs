// Preloaded with `node --import` by the start-up test: records every module
// a run loads into the file named by UMMAH_IMPORT_TRACE, as URLs: what the
// ES module loader resolves (its hooks), and what require() loads (the bundle
// is CommonJS).
import {appendFileSync} from 'node:fs'
import Module, {register} from 'node:module'
import {pathToFileURL} from 'node:url'

const file = process.env.UMMAH_IMPORT_TRACE
register('./trace-imports-hooks.mjs', import.meta.url, {data: {file}})

const load = Module._load
Module._load = function (request, parent, isMain) {
  const exports = load.call(this, request, parent, isMain)
  const resolved = Module.builtinModules.includes(request.replace(/^node:/, ''))
    ? `node:${request.replace(/^node:/, '')}`
    : Module._resolveFilename(request, parent, isMain)
  appendFileSync(file, `${resolved.startsWith('node:') ? resolved : pathToFileURL(resolved).href}\n`)
  return exports
}
