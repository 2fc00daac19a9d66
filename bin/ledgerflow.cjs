#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx ledgerflow ...` needs no build step.
require('tsx/cjs');
require('../client/cli.ts').runCli();
