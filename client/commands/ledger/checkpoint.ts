import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { saveLocalTrustedCheckpoint } from '../../../ledger/keys';
import { loadConfig } from '../../../runtime/config';
import { InputError } from '../../../runtime/errors';
import { withContext } from '../../context';
import { info, printJson } from '../../output';
import { action } from '../../run-command';

/** `ledger checkpoint`. */
export function register(ledger: Command): void {
  ledger
    .command('checkpoint')
    .description('make (or reuse) a signed checkpoint at the stream head and publish it')
    .option('--stream <stream>', 'stream', 'default')
    .option('--out <file>', 'also write the checkpoint text to this file')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { stream: string; out?: string; json?: boolean }) => {
        const config = loadConfig();
        const cp = await withContext({ quiet: opts.json }, (ctx) =>
          ctx.ledger().checkpoint({ stream: opts.stream }),
        );
        if (!cp) throw new InputError(`stream ${opts.stream} has no events`);
        saveLocalTrustedCheckpoint(config, cp.text);
        if (opts.out) writeFileSync(opts.out, cp.text);
        if (opts.json) printJson(cp);
        else process.stdout.write(cp.text);
        info(
          `${cp.created ? 'new checkpoint' : 'latest checkpoint (already at the head)'}: stream ${cp.stream}, tree size ${cp.treeSize}, key ${cp.keyId}`,
        );
      }),
    );
}
