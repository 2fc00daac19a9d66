#!/usr/bin/env node
// Runs the compiled CLI (dist/, written by `npm run build`) when it is newer than every source
// file; otherwise the TypeScript sources through tsx, so a fresh checkout needs no build step.
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

/** True when some .ts file (or migration) under `dir` changed after `since` (ms). */
function changedSince(dir, since) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (changedSince(p, since)) return true;
    } else if (/\.(ts|sql|json)$/.test(e.name) && fs.statSync(p).mtimeMs > since) return true;
  }
  return false;
}

function compiledIsCurrent() {
  let built;
  try {
    built = fs.statSync(stamp).mtimeMs;
  } catch {
    return false;
  }
  return !SOURCES.some((d) => changedSince(path.join(root, d), built));
}

if (process.env.LEDGERFLOW_TSX !== '1' && compiledIsCurrent()) {
  require('../dist/client/cli.js').runCli();
} else {
  if (process.env.LEDGERFLOW_TSX !== '1' && fs.existsSync(stamp))
    process.stderr.write(
      'ledgerflow: dist/ is older than the sources: running the sources (npm run build refreshes it)\n',
    );
  require('tsx/cjs');
  require('../client/cli.ts').runCli();
}
