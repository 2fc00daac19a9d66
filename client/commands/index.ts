/* eslint-disable @typescript-eslint/no-require-imports -- commands load on use; a dynamic import() of a .ts module fails under tsx's CommonJS hook */
import type { Command } from 'commander';

interface CommandModule {
  register(program: Command): void;
}

interface AuthorityModule {
  applyCommandAuthority(program: Command): void;
}

/**
 * Every top-level command: its name, its one-line description (for `ledgerflow --help`) and its
 * module, loaded only when the command runs, so start-up loads one command's dependencies, not
 * all of them (Temporal worker, Fastify, providers). Add an entry here to add a command; a test
 * keeps each description equal to the one its module registers.
 */
export const COMMANDS: ReadonlyArray<{ name: string; description: string; load: () => CommandModule }> = [
  {
    name: 'dev',
    description:
      'run embedded PostgreSQL + Temporal dev server (with Web UI) + a worker; other commands reuse them',
    load: () => require('./dev') as CommandModule,
  },
  {
    name: 'worker',
    description: 'run a ledgerflow worker (all workflows and activities) until Ctrl-C',
    load: () => require('./worker') as CommandModule,
  },
  {
    name: 'demo',
    description:
      'start everything on the embedded defaults, run the demo workflows, show what happened, exit',
    load: () => require('./demo') as CommandModule,
  },
  {
    name: 'doctor',
    description: 'check configuration, PostgreSQL, migrations, app roles and Temporal; says what to fix',
    load: () => require('./doctor') as CommandModule,
  },
  { name: 'db', description: 'database maintenance', load: () => require('./db') as CommandModule },
  { name: 'events', description: 'query the audit ledger', load: () => require('./events') as CommandModule },
  {
    name: 'api',
    description: 'the auditor HTTP API and its keys',
    load: () => require('./api') as CommandModule,
  },
  {
    name: 'ledger',
    description: 'the tamper-evident audit ledger: append, verify, checkpoints, proofs, evidence bundles',
    load: () => require('./ledger') as CommandModule,
  },
  {
    name: 'loan',
    description: 'loan applications: start, follow, review',
    load: () => require('./loan') as CommandModule,
  },
  {
    name: 'principals',
    description: 'who may act: admins, operators, reviewers, ...',
    load: () => require('./principals') as CommandModule,
  },
  {
    name: 'history',
    description: 'workflow provenance: Temporal history joined with the ledger',
    load: () => require('./history') as CommandModule,
  },
  {
    name: 'hold',
    description: 'legal holds: block retention purges until released',
    load: () => require('./hold') as CommandModule,
  },
  {
    name: 'retention',
    description: 'retention policies and purges',
    load: () => require('./retention') as CommandModule,
  },
  {
    name: 'schedules',
    description: 'Temporal Schedules for retention (daily) and chain verification (hourly)',
    load: () => require('./schedules') as CommandModule,
  },
  {
    name: 'lists',
    description: 'sanctions lists: load versions, show status',
    load: () => require('./lists') as CommandModule,
  },
  {
    name: 'screen',
    description: 'screen names against the loaded sanctions lists',
    load: () => require('./screen') as CommandModule,
  },
  {
    name: 'posture',
    description:
      'check the compliance controls against the live system; signed report in the ledger (exit 1 on a failing control)',
    load: () => require('./posture') as CommandModule,
  },
  {
    name: 'tx',
    description: 'transaction monitoring: ingest transactions',
    load: () => require('./tx') as CommandModule,
  },
  {
    name: 'alerts',
    description: 'transaction-monitoring alerts and their traces',
    load: () => require('./alerts') as CommandModule,
  },
  {
    name: 'rules',
    description: 'transaction-monitoring rule-set versions: shadow, promote, replay',
    load: () => require('./rules') as CommandModule,
  },
  {
    name: 'verify',
    description: 'shortcut for "ledger verify" (exit 0 valid, 1 invalid, 2 cannot run)',
    load: () => require('./verify') as CommandModule,
  },
];

/**
 * Registers what `argv` needs: the named command's module only; for anything else (top-level
 * help, --version, an unknown command) the names and descriptions, without loading any module.
 */
export function registerFor(program: Command, argv: readonly string[]): void {
  const name = argv.slice(2).find((a) => !a.startsWith('-'));
  const command = COMMANDS.find((c) => c.name === name);
  if (command) {
    command.load().register(program);
    // Loaded with the command (it loads the principal checks), not for top-level help.
    (require('../command-authority') as AuthorityModule).applyCommandAuthority(program);
    return;
  }
  for (const c of COMMANDS) program.command(c.name).description(c.description);
}
