import type { Command } from 'commander';
import type { WitnessCheck } from '../../../core/witness';
import { loadConfig } from '../../../runtime/config';
import { ConfigError } from '../../../runtime/errors';
import { checkWitness } from '../../../services/witness/check';
import { directoryWitness } from '../../../services/witness/store';
import { withContext } from '../../context';
import { info, printJson } from '../../output';
import { EXIT, action } from '../../run-command';
import { trustedKeysFor } from './shared';

const LABEL: Record<WitnessCheck['status'], string> = {
  consistent: 'consistent',
  empty: 'empty',
  fork: 'FORK',
  rollback: 'ROLLBACK',
  bad_witness: 'BAD WITNESS',
};

/** `ledger witness check`. */
export function register(ledger: Command): void {
  const witness = ledger.command('witness').description('the external witness of published ledger heads');
  witness
    .command('check')
    .description(
      'compare the live ledger head with the witness: fork or rollback (or a bad witness record) exits 1',
    )
    .option('--witness <dir>', 'the witness directory (default: LEDGERFLOW_WITNESS_DIR)')
    .option(
      '--trusted-keys <file>',
      "public keys the heads must be signed by (default: the data dir's pinned keys)",
    )
    .option('--json', 'print one JSON object')
    .action(
      action(async (opts: { witness?: string; trustedKeys?: string; json?: boolean }) => {
        const dir = opts.witness ?? loadConfig().LEDGERFLOW_WITNESS_DIR;
        if (!dir) throw new ConfigError('no witness: pass --witness <dir> or set LEDGERFLOW_WITNESS_DIR');
        const store = directoryWitness(dir);
        const trust = trustedKeysFor(opts.trustedKeys);
        const r = await withContext({ quiet: opts.json }, (ctx) =>
          checkWitness(ctx.db('ledgerflow_reader'), store, { trustedKeys: trust.keys }),
        );
        if (opts.json) printJson(r);
        else {
          process.stdout.write(`${LABEL[r.status]}: ${r.detail}\n`);
          for (const p of r.problems.slice(r.status === 'bad_witness' ? 1 : 0)) info(`witness: ${p}`);
        }
        for (const w of r.warnings) info(`warning: ${w}`);
        return r.ok ? EXIT.ok : EXIT.failed;
      }),
    );
}
