import type { Command } from 'commander';
import { formatTrustedKeys } from '../../../core/signing';
import { registerSigningKey } from '../../../ledger/checkpoint';
import { loadSigner, readPinnedKeys, rotateSigner } from '../../../ledger/keys';
import { loadConfig } from '../../../runtime/config';
import { withContext } from '../../context';
import { info, assertWritableFile, writeOutFile } from '../../output';
import { action } from '../../run-command';

/** `ledger keys export and rotate`. */
export function register(ledger: Command): void {
  const keys = ledger.command('keys').description('checkpoint signing keys');
  keys
    .command('export')
    .description('print the public keys (current and pinned) in trusted-keys format')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(
      action(async (opts: { out?: string }) => {
        if (opts.out) assertWritableFile(opts.out);
        const config = loadConfig();
        const signer = loadSigner(config, info);
        const all = new Map(readPinnedKeys(config));
        all.set(signer.keyId, { keyId: signer.keyId, publicKey: signer.publicKey });
        const text = formatTrustedKeys(
          [...all.values()],
          `ledgerflow checkpoint keys (current: ${signer.keyId})`,
        );
        if (opts.out) writeOutFile(opts.out, text);
        else process.stdout.write(text);
      }),
    );
  keys
    .command('rotate')
    .description('generate a new signing key; old public keys stay pinned so old checkpoints verify')
    .action(
      action(async () => {
        const config = loadConfig();
        const { current } = rotateSigner(config, info);
        await withContext({}, async (ctx) => {
          await registerSigningKey(ctx.db('ledgerflow_writer'), current);
        });
        process.stdout.write(`${current.keyId}\n`);
      }),
    );
}
