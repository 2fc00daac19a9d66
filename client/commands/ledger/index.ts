import type { Command } from 'commander';
import * as append from './append';
import * as bundle from './bundle';
import * as checkpoint from './checkpoint';
import * as keys from './keys';
import * as proofs from './proofs';
import * as verify from './verify';
import * as witness from './witness';

/** `ledgerflow ledger ...`: one module per subcommand family. */
export function register(program: Command): void {
  const ledger = program
    .command('ledger')
    .description('the tamper-evident audit ledger: append, verify, checkpoints, proofs, evidence bundles');
  for (const m of [append, verify, checkpoint, proofs, keys, bundle, witness]) m.register(ledger);
}
