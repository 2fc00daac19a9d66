#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx ledgerflow ...` needs no build step.
require('tsx/cjs');
const { buildProgram } = require('../client/cli.ts');
buildProgram()
  .parseAsync(process.argv)
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
