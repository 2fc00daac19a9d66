import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { AuditEventInputSchema, describeZodError, type AuditEventInput } from '../../core/audit-event';
import { canonicalJson } from '../../core/canonical-json';
import { formatTrustedKeys, type PublicKeyInfo } from '../../core/signing';
import type { ParsedCheckpoint } from '../../core/checkpoint';
import type { AppendResult } from '../../ledger/append';
import { exportBundle, verifyBundle } from '../../ledger/bundle';
import { latestCheckpoint, registerSigningKey } from '../../ledger/checkpoint';
import { LedgerValidationError } from '../../ledger/errors';
import {
  loadSigner,
  readCheckpointFile,
  readLocalTrustedCheckpoint,
  readPinnedKeys,
  readTrustedKeysFile,
  rotateSigner,
  saveLocalTrustedCheckpoint,
  trustPaths,
} from '../../ledger/keys';
import {
  proveConsistency,
  proveInclusion,
  verifyProofDoc,
  type ConsistencyProofDoc,
  type InclusionProofDoc,
} from '../../ledger/proofs';
import { verifyLedger, type VerifyResult } from '../../ledger/verify';
import { loadConfig } from '../../runtime/config';
import { ConfigError, InputError } from '../../runtime/errors';
import { withContext } from '../context';
import { info, printJson } from '../output';
import { EXIT, action } from '../run-command';

const positiveInt = (name: string) => (v: string) => {
  if (!/^[1-9]\d{0,15}$/.test(v)) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return Number(v);
};

/** A progress bar on stderr for long runs, only when stderr is a terminal. */
function progress(label: string): { update(done: number, total: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} events`,
    stream: process.stderr,
    hideCursor: true,
  });
  let started = false;
  return {
    update(done, total) {
      if (!started) bar.start(Math.max(total, 1), 0);
      started = true;
      bar.setTotal(Math.max(total, done, 1));
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

function readInput(file: string | undefined): string {
  try {
    return readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${file ?? 'stdin'}: ${(err as Error).message}`);
  }
}

/**
 * Parses JSONL events. Each line is an audit event; its idempotency key is the line's
 * `idempotency_key` field, or else `sha256:<hex SHA-256 of the line's canonical JSON>`, so
 * re-running the same file appends nothing twice.
 */
export function parseEventLines(
  text: string,
): Array<{ event: AuditEventInput; idempotencyKey: string; line: number }> {
  const out: Array<{ event: AuditEventInput; idempotencyKey: string; line: number }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new LedgerValidationError(`line ${i + 1}: not valid JSON`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      throw new LedgerValidationError(`line ${i + 1}: must be a JSON object`);
    const { idempotency_key: key, ...event } = obj as Record<string, unknown>;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
      throw new LedgerValidationError(`line ${i + 1}: idempotency_key must be a non-empty string`);
    }
    const parsed = AuditEventInputSchema.safeParse(event);
    if (!parsed.success) throw new LedgerValidationError(`line ${i + 1}: ${describeZodError(parsed.error)}`);
    const idempotencyKey =
      (key as string | undefined) ??
      `sha256:${createHash('sha256').update(canonicalJson(obj)).digest('hex')}`;
    out.push({ event: event as AuditEventInput, idempotencyKey, line: i + 1 });
  });
  return out;
}

/** Trusted keys: --trusted-keys, else the keys pinned in the data dir, else none (database keys, flagged). */
function trustedKeysFor(file: string | undefined): { keys?: Map<string, PublicKeyInfo>; source: string } {
  if (file) return { keys: readTrustedKeysFile(file), source: file };
  const config = loadConfig();
  const pinned = readPinnedKeys(config);
  if (pinned.size > 0) return { keys: pinned, source: trustPaths(config).pinnedKeysFile };
  return { source: 'database (not pinned)' };
}

function printVerify(r: VerifyResult, json: boolean, extra: Record<string, unknown>): number {
  if (json) {
    printJson({ ...r, ...extra });
  } else if (r.valid) {
    process.stdout.write(
      `valid: ${r.eventsChecked} events in ${r.streams.length} stream(s); ` +
        r.streams
          .map(
            (s) =>
              `${s.stream}: head ${s.headSeq}, ${s.checkpointsChecked} checkpoints, proven to ${s.provenTreeSize}`,
          )
          .join('; ') +
        '\n',
    );
  } else {
    process.stdout.write(
      `INVALID: stream ${r.stream}, first bad seq ${r.firstBadSeq}: ${r.fault}\n  ${r.detail}\n`,
    );
  }
  for (const w of r.warnings) info(`warning: ${w}`);
  return r.valid ? EXIT.ok : EXIT.failed;
}

export function register(program: Command): void {
  const ledger = program
    .command('ledger')
    .description('the tamper-evident audit ledger: append, verify, checkpoints, proofs, evidence bundles');

  ledger
    .command('append')
    .description(
      'append events from JSONL (one event per line; idempotency key from "idempotency_key" or the line\'s SHA-256)',
    )
    .argument('[source]', '"-" for stdin (the default)')
    .option('--file <file>', 'read events from this file ("-" for stdin; default stdin)')
    .option('--stream <stream>', 'stream to append to', 'default')
    .option('--json', 'print the appended events as JSON')
    .action(
      action(async (source: string | undefined, opts: { file?: string; stream: string; json?: boolean }) => {
        if (source !== undefined && source !== '-') throw new InputError('use --file FILE, or "-" for stdin');
        const items = parseEventLines(readInput(opts.file));
        if (items.length === 0) throw new InputError('no events in the input');
        const config = loadConfig();
        const results: AppendResult[] = await withContext({ quiet: opts.json }, async (ctx) => {
          return ctx.ledger().appendMany(items, {
            stream: opts.stream,
            maxEventBytes: config.LEDGERFLOW_MAX_EVENT_BYTES,
          });
        });
        if (opts.json) printJson(results);
        else
          for (const r of results)
            process.stdout.write(`${r.stream} ${r.seq} ${r.hash}${r.created ? '' : ' (already appended)'}\n`);
        info(
          `${results.filter((r) => r.created).length} appended, ${results.filter((r) => !r.created).length} already present`,
        );
      }),
    );

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
      "a checkpoint trusted from outside (default: the data dir's last trusted one)",
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
          if (opts.trustedCheckpoint) trustedCheckpoint = [readCheckpointFile(opts.trustedCheckpoint)];
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

  const keys = ledger.command('keys').description('checkpoint signing keys');
  keys
    .command('export')
    .description('print the public keys (current and pinned) in trusted-keys format')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(
      action(async (opts: { out?: string }) => {
        const config = loadConfig();
        const signer = loadSigner(config, info);
        const all = new Map(readPinnedKeys(config));
        all.set(signer.keyId, { keyId: signer.keyId, publicKey: signer.publicKey });
        const text = formatTrustedKeys(
          [...all.values()],
          `ledgerflow checkpoint keys (current: ${signer.keyId})`,
        );
        if (opts.out) writeFileSync(opts.out, text);
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
      'verify an evidence bundle offline: no database, no Temporal (exit 0 valid, 1 invalid, 2 cannot run)',
    )
    .requiredOption('--trusted-keys <file>', 'public keys obtained independently of the bundle')
    .option('--trusted-checkpoint <file>', 'a checkpoint obtained independently; the bundle must extend it')
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
          const r = await verifyBundle(dir, {
            trustedKeys,
            trustedCheckpoint: opts.trustedCheckpoint ? readCheckpointFile(opts.trustedCheckpoint) : null,
            stream: opts.stream,
          });
          return printVerify(r, Boolean(opts.json), { bundle: dir, trustedKeys: opts.trustedKeys });
        },
      ),
    );
}

function localTrustedStreams(config: ReturnType<typeof loadConfig>): string[] {
  const dir = trustPaths(config).trustDir;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.checkpoint'))
    .map((f) => f.slice(0, -'.checkpoint'.length));
}

function emitProof(doc: InclusionProofDoc | ConsistencyProofDoc, out: string | undefined): number {
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
  const check = verifyProofDoc(doc);
  info(
    check.valid
      ? `proof verifies against the checkpoint root (check its signature with "ledger verify-proof")`
      : `warning: ${check.reason}`,
  );
  return check.valid ? EXIT.ok : EXIT.failed;
}
