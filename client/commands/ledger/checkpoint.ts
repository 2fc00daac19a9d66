import type { Command } from 'commander';
import { latestCheckpoint } from '../../../ledger/checkpoint';
import { readPinnedKeys, saveLocalTrustedCheckpoint } from '../../../ledger/keys';
import { loadConfig } from '../../../runtime/config';
import { InputError } from '../../../runtime/errors';
import { withContext } from '../../context';
import { info, printJson, assertWritableFile, writeOutFile } from '../../output';
import { EXIT, action } from '../../run-command';
import { directoryWitness } from '../../../services/witness/store';
import { publishHead, WitnessConflictError } from '../../../services/witness/publish';

/** `ledger checkpoint`. */
export function register(ledger: Command): void {
  ledger
    .command('checkpoint')
    .description(
      'sign the ledger head (every stream, checkpointing those that moved); with --stream, one stream only',
    )
    .option('--stream <stream>', 'sign a checkpoint of this stream only')
    .option('--out <file>', 'also write the signed head (or checkpoint) text to this file')
    .option(
      '--publish <dir>',
      'append the signed head to this witness directory (refused on a fork or rollback against its last record)',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { stream?: string; out?: string; publish?: string; json?: boolean }) => {
        const config = loadConfig();
        if (opts.out) assertWritableFile(opts.out);
        if (opts.publish && opts.stream)
          throw new InputError('--publish publishes the ledger head over every stream: drop --stream');
        if (opts.publish) return publish(opts.publish, Boolean(opts.json));
        if (opts.stream) {
          const stream = opts.stream;
          const cp = await withContext({ quiet: opts.json }, (ctx) => ctx.ledger().checkpoint({ stream }));
          if (!cp) throw new InputError(`stream ${opts.stream} has no events`);
          saveLocalTrustedCheckpoint(config, cp.text);
          if (opts.out) writeOutFile(opts.out, cp.text);
          if (opts.json) printJson(cp);
          else process.stdout.write(cp.text);
          info(
            `${cp.created ? 'new checkpoint' : 'latest checkpoint (already at the head)'}: stream ${cp.stream}, tree size ${cp.treeSize}, key ${cp.keyId}`,
          );
          return;
        }
        const r = await withContext({ quiet: opts.json }, async (ctx) => {
          const out = await ctx.ledger().head();
          for (const s of out.head.streams) {
            const cp = await latestCheckpoint(ctx.db('ledgerflow_reader'), s.stream);
            if (cp && cp.treeSize === s.treeSize) saveLocalTrustedCheckpoint(config, cp.text);
          }
          return out;
        });
        if (opts.out) writeOutFile(opts.out, r.head.text);
        if (opts.json)
          printJson({
            version: r.head.version,
            created: r.created,
            timestamp: r.head.timestamp,
            streams: r.head.streams.map((s) => ({
              stream: s.stream,
              treeSize: s.treeSize,
              rootHash: s.rootHash.toString('hex'),
            })),
            text: r.head.text,
          });
        else process.stdout.write(r.head.text);
        info(
          `${r.created ? 'new ledger head' : 'latest ledger head (nothing moved)'}: version ${r.head.version}, ${r.head.streams.length} stream(s)`,
        );
      }),
    );
}

/** `ledger checkpoint --publish <dir>`: sign the head and append it to the witness. */
async function publish(dir: string, json: boolean): Promise<number> {
  const config = loadConfig();
  const store = directoryWitness(dir);
  const pinned = readPinnedKeys(config);
  return withContext({ quiet: json }, async (ctx) => {
    try {
      const out = await publishHead({
        ledger: ctx.ledger(),
        store,
        trustedKeys: pinned.size > 0 ? pinned : undefined,
      });
      if (json)
        printJson({
          published: out.published,
          version: out.head.version,
          witness: store.location,
          check: out.check,
        });
      else process.stdout.write(out.head.text);
      info(
        out.published
          ? `published ledger head version ${out.head.version} to ${store.location} (${out.check.detail})`
          : `ledger head version ${out.head.version} is already published in ${store.location}`,
      );
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof WitnessConflictError)) throw err;
      if (json) printJson({ published: false, check: err.check });
      process.stderr.write(`refused: ${err.message}\n`);
      return EXIT.failed;
    }
  });
}
