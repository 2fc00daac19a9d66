// Loads dist/client/cli.bundle.js with the V8 code cache scripts/build.ts wrote beside it: V8 then
// skips parsing the ~2 MB bundle on every call (most of a short command's start-up). Without a
// cache, or one V8 rejects (another Node version or V8 flags), it compiles the source as usual.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

/** The bundle at `file` as a CommonJS module (its exports), compiled with `file + '.v8cache'` if usable. */
function loadBundle(file) {
  let cachedData;
  try {
    cachedData = fs.readFileSync(`${file}.v8cache`);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
  });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  require.cache[file] = mod;
  script
    .runInThisContext()
    .call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return { exports: mod.exports, script };
}

module.exports = { loadBundle };
