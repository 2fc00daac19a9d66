#!/usr/bin/env node
// Runs the compiled CLI (dist/client/cli.bundle.js, see scripts/bundle-cli.ts; built by `npm ci`
// through "prepare", or `npm run build`). A dist/ older than the sources is refused in one line
// rather than run: it would be yesterday's code.
// LEDGERFLOW_TSX=1 runs the TypeScript sources through tsx instead (while editing them).
const path = require('node:path');
const { buildState, root } = require('./build-state.cjs');
const { loadBundle } = require('./load-bundle.cjs');

if (process.env.LEDGERFLOW_TSX === '1') {
  require('tsx/cjs');
  require('../client/cli.ts').runCli();
} else {
  const state = buildState();
  if (state.current) loadBundle(path.join(root, 'dist', 'client', 'cli.bundle.js')).exports.runCli();
  else {
    const why = state.missing
      ? 'no compiled build (dist/)'
      : `dist/ is older than the sources (${state.newer})`;
    process.stderr.write(
      `error: ${why}: run "npm run build" (or set LEDGERFLOW_TSX=1 to run the sources through tsx)\n`,
    );
    process.exitCode = 2;
  }
}
