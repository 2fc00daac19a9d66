import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { verifyFilteredExport } from '../../../ledger/filtered-export';
import { exportBundle, verifyBundle } from '../../../ledger/bundle';
import { readTrustedCheckpointFile, readTrustedHeadFile, readTrustedKeysFile } from '../../../ledger/keys';
import { ConfigError } from '../../../runtime/errors';
import { withContext } from '../../context';
import { info, printJson } from '../../output';
import { action } from '../../run-command';
import { progress, printVerify } from './shared';

/** `ledger export and verify-bundle`. */
export function register(ledger: Command): void {
  ledger
    .command('export')
    .description(
      'write an evidence bundle (events JSONL, checkpoints, public keys, manifest) for offline verification',
    )
    .requiredOption('--out <dir>', 'directory to write')
    .option('--stream <stream>', 'only this stream')
    .option('--json', 'print the manifest as JSON')
    .action(
      action(async (opts: { out: string; stream?: string; json?: boolean }) => {
        const bar = progress('export');
        const manifest = await withContext({ quiet: opts.json }, async (ctx) => {
          try {
            return await exportBundle(ctx.db('ledgerflow_reader'), opts.out, {
              stream: opts.stream,
              onProgress: (d, t) => bar.update(d, t),
            });
          } finally {
            bar.stop();
          }
        });
        if (opts.json) printJson(manifest);
        else
          info(
            `bundle written to ${opts.out}: ${manifest.streams.map((s) => `${s.stream} (${s.events} events, ${s.checkpoints} checkpoints)`).join(', ')}`,
          );
      }),
    );

  ledger
    .command('verify-bundle <dir>')
    .description(
      'verify an evidence bundle (a directory) or a filtered export (a JSONL file) offline: no database, no Temporal (exit 0 valid, 1 invalid, 2 cannot run)',
    )
    .requiredOption('--trusted-keys <file>', 'public keys obtained independently of the bundle')
    .option(
      '--trusted-checkpoint <file>',
      'a checkpoint or ledger head obtained independently; the bundle must extend it',
    )
    .option('--stream <stream>', 'only this stream')
    .option('--json', 'print one JSON object')
    .action(
      action(
        async (
          dir: string,
          opts: { trustedKeys: string; trustedCheckpoint?: string; stream?: string; json?: boolean },
        ) => {
          const trustedKeys = readTrustedKeysFile(opts.trustedKeys);
          if (trustedKeys.size === 0) throw new ConfigError(`${opts.trustedKeys} holds no keys`);
          if (existsSync(dir) && statSync(dir).isFile()) {
            // A filtered export (GET /v1/exports/events): one JSONL file with proofs and a signed manifest.
            const v = await verifyFilteredExport(dir, trustedKeys);
            if (opts.json) printJson({ export: dir, ...v });
            else if (v.valid)
              process.stdout.write(
                `valid: ${v.eventsChecked} events, each proven against signed head version ${v.manifest?.head_version}\n`,
              );
            else
              process.stdout.write(`INVALID: ${v.fault}${v.line ? ` at line ${v.line}` : ''}: ${v.detail}\n`);
            for (const w of v.warnings) info(`warning: ${w}`);
            return v.valid ? 0 : 1;
          }
          const r = await verifyBundle(dir, {
            trustedKeys,
            trustedCheckpoint: opts.trustedCheckpoint
              ? readTrustedCheckpointFile(opts.trustedCheckpoint)
              : null,
            trustedHead: opts.trustedCheckpoint ? readTrustedHeadFile(opts.trustedCheckpoint) : null,
            stream: opts.stream,
          });
          return printVerify(r, Boolean(opts.json), { bundle: dir, trustedKeys: opts.trustedKeys });
        },
      ),
    );
}
