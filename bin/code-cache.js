// V8's code cache for the bundle (dist/bundle, CommonJS): what V8 compiled in
// one run, the top level and every function that ran, is kept on disk and
// given back to V8 by the next, so a start-up neither parses ~1 MB of
// JavaScript nor compiles the functions it runs again. Node 20 has no
// compile cache of its own, and Node 22's (`module.enableCompileCache()`)
// keeps only what is compiled before a module runs: an API command took
// 206 ms with it and 213 without on Node 22, 256 → 184 ms with this on
// Node 20 (21 interleaved runs each, this machine).
//
// Where: `$XDG_CACHE_HOME/ummah/code-cache`, else `~/.cache/ummah/code-cache`
// (`%LOCALAPPDATA%\ummah\code-cache` on Windows), one directory per Node
// version and bundle build (dist/bundle/package.json's buildId), 0700, files
// 0600. A cache is code: one in a directory this user does not own, or that
// others may write to, is not read. V8 refuses data made for another source
// or V8, and the file is written again. UMMAH_NO_CODE_CACHE=1 turns it off.
'use strict'
const fs = require('node:fs')
const Module = require('node:module')
const path = require('node:path')
const v8 = require('node:v8')
const {Script} = require('node:vm')

const main = require.main

/** The directory of every build's cache, or undefined when there is none to use. */
function cacheRoot(env) {
  if (env.UMMAH_NO_CODE_CACHE && env.UMMAH_NO_CODE_CACHE !== '0') return undefined
  if (process.platform === 'win32') return env.LOCALAPPDATA ? path.join(env.LOCALAPPDATA, 'ummah', 'code-cache') : undefined
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : env.HOME && path.join(env.HOME, '.cache')
  return base ? path.join(base, 'ummah', 'code-cache') : undefined
}

/** A directory of this user's that no one else may write to. */
function privateDir(dir) {
  try {
    const stat = fs.statSync(dir)
    if (!stat.isDirectory()) return false
    if (process.platform === 'win32') return true
    return stat.uid === process.getuid() && (stat.mode & 0o022) === 0
  } catch {
    return false
  }
}

/** The require() a module compiled here is given: Node's own, bound to the module. */
function requireOf(module) {
  const require = (id) => module.require(id)
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options)
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, module)
  require.main = main
  require.extensions = Module._extensions
  require.cache = Module._cache
  return require
}

/** Writes what this run compiled without a cache, each file whole (temporary name, then rename), and drops older builds' caches. */
function save(root, name, compiled) {
  if (compiled.length === 0) return
  const dir = path.join(root, name)
  try {
    const created = !fs.existsSync(dir)
    fs.mkdirSync(dir, {recursive: true, mode: 0o700})
    if (!privateDir(dir)) return
    for (const {script, file} of compiled) {
      const temporary = `${file}.${process.pid}.tmp`
      fs.writeFileSync(temporary, script.createCachedData(), {mode: 0o600})
      fs.renameSync(temporary, file)
    }
    // A new build (an upgrade) leaves the last one's cache unused: dropped, for this Node version; other versions keep theirs.
    const sameNode = `${process.version}-${process.arch}-`
    if (created)
      for (const other of fs.readdirSync(root))
        if (other !== name && other.startsWith(sameNode)) fs.rmSync(path.join(root, other), {recursive: true, force: true})
  } catch {
    // A cache only saves time: a read-only or full disk leaves the run as it was.
  }
}

/** Compiles the bundle's files (but dynamic-import.js, whose import() needs Node's own compilation) through the cache. */
exports.install = function install(bundleDir, env = process.env) {
  const root = cacheRoot(env)
  if (!root) return
  let buildId
  try {
    buildId = JSON.parse(fs.readFileSync(path.join(bundleDir, 'package.json'), 'utf8')).buildId
  } catch {
    return
  }
  if (typeof buildId !== 'string' || !/^[0-9a-f]{16}$/.test(buildId)) return
  const name = `${process.version}-${process.arch}-${buildId}`
  const dir = path.join(root, name)
  const readable = privateDir(dir)
  const prefix = bundleDir + path.sep
  const compiled = []
  const compile = Module.prototype._compile
  Module.prototype._compile = function (content, filename) {
    if (!filename.startsWith(prefix) || path.basename(filename) === 'dynamic-import.js') return compile.call(this, content, filename)
    const file = path.join(dir, `${path.basename(filename)}.v8`)
    let cachedData
    if (readable) {
      try {
        cachedData = fs.readFileSync(file)
      } catch {
        // Not cached yet.
      }
    }
    const script = new Script(Module.wrap(content), {filename, cachedData})
    if (cachedData === undefined || script.cachedDataRejected) compiled.push({script, file})
    const wrapper = script.runInThisContext({displayErrors: true})
    return wrapper.call(this.exports, this.exports, requireOf(this), this, filename, path.dirname(filename))
  }
  // After the run: the cache then holds every function the run compiled, not only the top level. Not from a run
  // that changed V8's flags (the listener and the relay size their heap): V8 would refuse that code in every other run.
  const tag = v8.cachedDataVersionTag()
  process.once('exit', () => {
    if (v8.cachedDataVersionTag() === tag) save(root, name, compiled)
  })
}
