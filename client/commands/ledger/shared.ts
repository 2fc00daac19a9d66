import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { type PublicKeyInfo } from '../../../core/signing';
import { readPinnedKeys, readTrustedKeysFile, trustPaths } from '../../../ledger/keys';
import { verifyProofDoc, type ConsistencyProofDoc, type InclusionProofDoc } from '../../../ledger/proofs';
import { type VerifyResult } from '../../../ledger/verify';
import { loadConfig } from '../../../runtime/config';
import { InputError } from '../../../runtime/errors';
import { info, printJson, writeOutFile } from '../../output';
import { EXIT } from '../../run-command';
import { intOption } from '../../options';

/** A positive whole number (seqs, tree sizes). */
export const positiveInt = (name: string) => intOption(name, 1, Number.MAX_SAFE_INTEGER);

/** A progress bar on stderr for long runs, only when stderr is a terminal. */
export function progress(label: string): { update(done: number, total: number): void; stop(): void } {
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

export function readInput(file: string | undefined): string {
  try {
    return readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${file ?? 'stdin'}: ${(err as Error).message}`);
  }
}

/** Trusted keys: --trusted-keys, else the keys pinned in the data dir, else none (database keys, flagged). */
export function trustedKeysFor(file: string | undefined): {
  keys?: Map<string, PublicKeyInfo>;
  source: string;
} {
  if (file) return { keys: readTrustedKeysFile(file), source: file };
  const config = loadConfig();
  const pinned = readPinnedKeys(config);
  if (pinned.size > 0) return { keys: pinned, source: trustPaths(config).pinnedKeysFile };
  return { source: 'database (not pinned)' };
}

export function printVerify(r: VerifyResult, json: boolean, extra: Record<string, unknown>): number {
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

export function localTrustedStreams(config: ReturnType<typeof loadConfig>): string[] {
  const dir = trustPaths(config).trustDir;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.checkpoint'))
    .map((f) => f.slice(0, -'.checkpoint'.length));
}

export function emitProof(doc: InclusionProofDoc | ConsistencyProofDoc, out: string | undefined): number {
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (out) writeOutFile(out, text);
  else process.stdout.write(text);
  const check = verifyProofDoc(doc);
  info(
    check.valid
      ? `proof verifies against the checkpoint root (check its signature with "ledger verify-proof")`
      : `warning: ${check.reason}`,
  );
  return check.valid ? EXIT.ok : EXIT.failed;
}
