// Whether dist/ (written by `npm run build`, which `npm ci` runs through "prepare") is current:
// its stamp newer than every source file. Used by bin/ledgerflow.cjs and scripts/build.ts.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const stamp = path.join(root, 'dist', '.build-stamp');
// The folders tsconfig.build.json compiles.
const SOURCES = ['activities', 'api', 'client', 'contracts', 'core', 'db', 'ledger', 'providers'].concat([
  'runtime',
  'services',
  'simulators',
  'worker',
  'workflows',
]);

/** The first .ts/.sql/.json/.c/.h file under `dir` changed after `since` (ms), or undefined. */
function changedSince(dir, since) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const found = changedSince(p, since);
      if (found) return found;
    } else if (/\.(ts|sql|json|c|h)$/.test(e.name) && fs.statSync(p).mtimeMs > since) return p;
  }
  return undefined;
}

/**
 * `{ current: true }` when dist/ can run; otherwise why not: `missing` (never built) or the
 * `newer` source file (relative to the repository).
 */
function buildState() {
  let built;
  try {
    built = fs.statSync(stamp).mtimeMs;
  } catch {
    return { current: false, missing: true };
  }
  for (const d of SOURCES) {
    const newer = changedSince(path.join(root, d), built);
    if (newer) return { current: false, newer: path.relative(root, newer) };
  }
  return { current: true };
}

module.exports = { buildState, root };
