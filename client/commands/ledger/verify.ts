import type { Command } from 'commander';
import type { ParsedCheckpoint } from '../../../core/checkpoint';
import { latestCheckpoint } from '../../../ledger/checkpoint';
import {
  readTrustedCheckpointFile,
  readLocalTrustedCheckpoint,
  saveLocalTrustedCheckpoint,
} from '../../../ledger/keys';
import { verifyLedger, type VerifyResult } from '../../../ledger/verify';
import { loadConfig } from '../../../runtime/config';
import { withContext } from '../../context';
import { action } from '../../run-command';
import { positiveInt, progress, trustedKeysFor, printVerify, localTrustedStreams } from './shared';

/** `ledger verify`. */
export function register(ledger: Command): void {
  ledger
    .command('verify')
    .description(
      'recompute and check hashes, chain, Merkle roots and checkpoint signatures (exit 0 valid, 1 invalid, 2 cannot run)',
    )
    .option('--stream <stream>', 'verify only this stream (default: all)')
    .option('--from <seq>', 'start at this seq', positiveInt('--from'))
    .option('--trusted-keys <file>', "pinned public keys (default: the data dir's trust/keys.txt)")
    .option(
      '--trusted-checkpoint <file>',
      "a checkpoint or ledger head trusted from outside (default: the data dir's last trusted ones)",
    )
    .option('--json', 'print one JSON object')
    .action(
      action(
        async (opts: {
          stream?: string;
          from?: number;
          trustedKeys?: string;
          trustedCheckpoint?: string;
          json?: boolean;
        }) => {
          const config = loadConfig();
          const trust = trustedKeysFor(opts.trustedKeys);
          let trustedCheckpoint: ParsedCheckpoint[] = [];
          if (opts.trustedCheckpoint) trustedCheckpoint = readTrustedCheckpointFile(opts.trustedCheckpoint);
          return withContext({ quiet: opts.json }, async (ctx) => {
            const db = ctx.db('ledgerflow_reader');
            if (!opts.trustedCheckpoint) {
              // Streams come from the local trust dir, not from the database: a stream whose
              // events and checkpoints were all deleted must still be checked.
              const streams = opts.stream ? [opts.stream] : localTrustedStreams(config);
              trustedCheckpoint = streams
                .map((s) => readLocalTrustedCheckpoint(config, s))
                .filter((c): c is ParsedCheckpoint => c !== null);
            }
            const bar = progress('verify');
            let r: VerifyResult;
            try {
              r = await verifyLedger(db, {
                stream: opts.stream,
                fromSeq: opts.from,
                trustedKeys: trust.keys,
                trustedCheckpoint,
                onProgress: (d, t) => bar.update(d, t),
              });
            } finally {
              bar.stop();
            }
            if (r.valid && trust.keys) {
              for (const s of r.streams) {
                const cp = await latestCheckpoint(db, s.stream);
                if (cp && cp.treeSize <= s.provenTreeSize) saveLocalTrustedCheckpoint(config, cp.text);
              }
            }
            return printVerify(r, Boolean(opts.json), {
              trustedKeys: trust.source,
              trustedCheckpoints: trustedCheckpoint.map((c) => ({ stream: c.stream, treeSize: c.treeSize })),
            });
          });
        },
      ),
    );
}
