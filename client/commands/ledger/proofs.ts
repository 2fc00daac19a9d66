import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  proveConsistency,
  proveInclusion,
  verifyProofDoc,
  type ConsistencyProofDoc,
  type InclusionProofDoc,
} from '../../../ledger/proofs';
import { InputError } from '../../../runtime/errors';
import { withContext } from '../../context';
import { printJson } from '../../output';
import { EXIT, action } from '../../run-command';
import { positiveInt, trustedKeysFor, emitProof } from './shared';

/** `ledger prove, consistency and verify-proof`. */
export function register(ledger: Command): void {
  ledger
    .command('prove')
    .description('inclusion proof of one event against the latest (or given) checkpoint, as JSON')
    .requiredOption('--seq <n>', 'seq of the event', positiveInt('--seq'))
    .option('--stream <stream>', 'stream', 'default')
    .option('--tree-size <n>', 'prove against the checkpoint of this size', positiveInt('--tree-size'))
    .option('--out <file>', 'write the proof to this file')
    .action(
      action(async (opts: { seq: number; stream: string; treeSize?: number; out?: string }) => {
        const doc = await withContext({ quiet: true }, (ctx) =>
          proveInclusion(ctx.db('ledgerflow_reader'), {
            stream: opts.stream,
            seq: opts.seq,
            treeSize: opts.treeSize,
          }),
        );
        return emitProof(doc, opts.out);
      }),
    );

  ledger
    .command('consistency')
    .description('consistency proof between two checkpoints of a stream, as JSON')
    .requiredOption('--from-size <n>', 'older checkpoint tree size', positiveInt('--from-size'))
    .option('--to-size <n>', 'newer checkpoint tree size (default: latest)', positiveInt('--to-size'))
    .option('--stream <stream>', 'stream', 'default')
    .option('--out <file>', 'write the proof to this file')
    .action(
      action(async (opts: { fromSize: number; toSize?: number; stream: string; out?: string }) => {
        const doc = await withContext({ quiet: true }, (ctx) =>
          proveConsistency(ctx.db('ledgerflow_reader'), {
            stream: opts.stream,
            fromSize: opts.fromSize,
            toSize: opts.toSize,
          }),
        );
        return emitProof(doc, opts.out);
      }),
    );

  ledger
    .command('verify-proof <file>')
    .description('check an inclusion or consistency proof offline (exit 0 valid, 1 invalid)')
    .option(
      '--trusted-keys <file>',
      "pinned public keys to check the checkpoint signatures (default: the data dir's)",
    )
    .option('--json', 'print JSON')
    .action(
      action(async (file: string, opts: { trustedKeys?: string; json?: boolean }) => {
        let doc: InclusionProofDoc | ConsistencyProofDoc;
        try {
          doc = JSON.parse(readFileSync(file, 'utf8')) as InclusionProofDoc | ConsistencyProofDoc;
        } catch (err) {
          throw new InputError(`cannot read proof ${file}: ${(err as Error).message}`);
        }
        const trust = trustedKeysFor(opts.trustedKeys);
        const r = verifyProofDoc(doc, trust.keys);
        if (opts.json) printJson(r);
        else
          process.stdout.write(
            r.valid
              ? `valid ${doc.type} proof${r.signatureTrusted ? ' (checkpoint signed by a trusted key)' : ' (checkpoint signature NOT checked: no pinned keys)'}\n`
              : `INVALID: ${r.reason}\n`,
          );
        return r.valid ? EXIT.ok : EXIT.failed;
      }),
    );
}
