import { verifyCheckpointSignature } from '../../core/checkpoint';
import { parseHead, type ParsedHead } from '../../core/ledger-head';
import { consistencyProofRanges, decomposeRange, foldRight, verifyConsistency } from '../../core/merkle';
import type { PublicKeyInfo } from '../../core/signing';
import { checkWitnessRecords, headRef, type WitnessCheck, type WitnessStream } from '../../core/witness';
import type { Database } from '../../db/client';
import { DbTreeReader } from '../../ledger/checkpoint';
import { latestHead } from '../../ledger/head';
import { databaseKeys } from '../../ledger/verify';
import type { WitnessStore } from './store';

/** What a comparison trusts: keys pinned outside the database (else the database's, flagged). */
export interface WitnessCheckOptions {
  trustedKeys?: Map<string, PublicKeyInfo>;
  /** The live head to compare (default: the latest head stored in the database). */
  live?: ParsedHead | null;
}

async function headAtVersion(db: Database, version: number): Promise<ParsedHead | null> {
  const r = await db.$client.query<{ head: string }>('SELECT head FROM ledger_heads WHERE version = $1', [
    version,
  ]);
  try {
    return r.rows[0] ? parseHead(r.rows[0].head) : null;
  } catch {
    return null;
  }
}

async function storedSize(db: Database, stream: string): Promise<number> {
  const r = await db.$client.query<{ n: string }>(
    'SELECT coalesce(max(seq), 0) AS n FROM ledger_events WHERE stream = $1',
    [stream],
  );
  return Number(r.rows[0]?.n ?? 0);
}

/** The RFC 6962 consistency proof from `from` to `to` leaves, read from the live tree. */
async function consistencyProof(reader: DbTreeReader, from: number, to: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const [lo, hi] of consistencyProofRanges(from, to)) {
    const parts: Buffer[] = [];
    for (const p of decomposeRange(lo, hi)) parts.push(await reader.perfect(p));
    out.push(foldRight(parts));
  }
  return out;
}

/** MTH of the first `size` leaves of the live tree (tiles where stored, event hashes otherwise). */
async function liveRootAt(reader: DbTreeReader, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const p of decomposeRange(0, size)) parts.push(await reader.perfect(p));
  return foldRight(parts);
}

type StreamComparison = WitnessStream & { why: string | null };

/**
 * One stream of the published head against the stored events and the live head: rollback when
 * fewer events are stored or listed than were published; fork when the stored events no longer
 * hash to the published root, or the live head's tree does not extend the published one (the
 * RFC 6962 consistency proof, computed from the live tree, fails against both roots).
 */
async function compareStream(
  db: Database,
  published: ParsedHead['streams'][number],
  live: ParsedHead,
): Promise<StreamComparison> {
  const name = published.stream;
  const size = published.treeSize;
  const base = { stream: name, published_size: size, proof_hashes: null };
  const now = live.streams.find((s) => s.stream === name);
  const liveSize = now?.treeSize ?? null;
  const stored = await storedSize(db, name);
  const rollback = (why: string): StreamComparison => ({
    ...base,
    live_size: liveSize,
    result: 'rollback',
    why,
  });
  const fork = (why: string, proofHashes: number | null = null): StreamComparison => ({
    ...base,
    live_size: liveSize,
    result: 'fork',
    proof_hashes: proofHashes,
    why,
  });
  if (stored < size)
    return rollback(`stream ${name}: the database holds ${stored} events, ${size} were published`);
  const reader = new DbTreeReader(db, name);
  const rootAt = await liveRootAt(reader, size).catch(() => null);
  if (!rootAt?.equals(published.rootHash))
    return fork(
      `stream ${name}: the stored events 1..${size} no longer hash to the published root (history rewritten)`,
    );
  if (!now)
    return rollback(
      `stream ${name} (published at size ${size}) is missing from the live head version ${live.version}`,
    );
  if (now.treeSize < size)
    return rollback(`stream ${name}: the live head lists ${now.treeSize} events, ${size} were published`);
  if (now.treeSize === size)
    return now.rootHash.equals(published.rootHash)
      ? { ...base, live_size: size, result: 'same', why: null }
      : fork(`stream ${name}: the live head has the published size ${size} and a different root`);
  let proof: Buffer[] = [];
  let ok: boolean;
  try {
    proof = await consistencyProof(reader, size, now.treeSize);
    ok = verifyConsistency(size, now.treeSize, published.rootHash, now.rootHash, proof);
  } catch {
    ok = false;
  }
  return ok
    ? { ...base, live_size: now.treeSize, result: 'extended', proof_hashes: proof.length, why: null }
    : fork(
        `stream ${name}: the live head's tree of ${now.treeSize} events does not extend the published tree of ${size} (consistency proof fails)`,
        proof.length,
      );
}

/**
 * Compares the live ledger with its witness: the witness's records must be well formed and signed
 * by a trusted key, and the live head must extend the last published head (same version: the same
 * head; later: the database's head of the published version is the published one and every
 * published stream grew consistently). Reads only.
 */
export async function checkWitness(
  db: Database,
  store: WitnessStore,
  opts: WitnessCheckOptions = {},
): Promise<WitnessCheck> {
  const warnings: string[] = [];
  let keys = opts.trustedKeys;
  if (!keys || keys.size === 0) {
    keys = await databaseKeys(db);
    warnings.push('no pinned keys: witness records are checked against the keys stored in the database');
  }
  const records = checkWitnessRecords(await store.read(), keys);
  const published = records.heads.at(-1) ?? null;
  const live = opts.live === undefined ? await latestHead(db) : opts.live;
  const result = (
    status: WitnessCheck['status'],
    detail: string,
    streams: WitnessStream[] = [],
  ): WitnessCheck => ({
    status,
    ok: status === 'consistent' || status === 'empty',
    detail,
    witness: store.location,
    records: records.count,
    published: published ? headRef(published) : null,
    live: live ? headRef(live) : null,
    streams,
    problems: records.problems,
    warnings,
  });
  const badWitness = () => result('bad_witness', records.problems[0] as string);
  if (!published)
    return records.problems.length
      ? badWitness()
      : result('empty', `nothing published to ${store.location} yet`);
  if (!live)
    return result(
      'rollback',
      `the database has no ledger head; the witness published version ${published.version}`,
    );
  const liveSig = verifyCheckpointSignature(live, keys);
  if (!liveSig.ok)
    return result(
      'fork',
      `the live head version ${live.version} is not signed by a trusted key: ${liveSig.reason}`,
    );
  const compared: StreamComparison[] = [];
  for (const s of published.streams) compared.push(await compareStream(db, s, live));
  const clean: WitnessStream[] = compared.map((s) => ({
    stream: s.stream,
    published_size: s.published_size,
    live_size: s.live_size,
    result: s.result,
    proof_hashes: s.proof_hashes,
  }));
  const fork = compared.find((s) => s.result === 'fork');
  if (fork) return result('fork', fork.why as string, clean);
  const back = compared.find((s) => s.result === 'rollback');
  if (back) return result('rollback', back.why as string, clean);
  if (live.version === published.version && live.text !== published.text)
    return result(
      'fork',
      `the live head version ${live.version} differs from the published head of that version`,
      clean,
    );
  if (live.version > published.version) {
    const stored = await headAtVersion(db, published.version);
    if (!stored || stored.body !== published.body)
      return result(
        'fork',
        `the database's head version ${published.version} is ${stored ? 'not the published one' : 'missing'}: head history rewritten`,
        clean,
      );
  }
  if (live.version < published.version)
    return result(
      'rollback',
      `the live head is version ${live.version}, older than the published version ${published.version} (${published.timestamp})`,
      clean,
    );
  if (records.problems.length) return { ...badWitness(), streams: clean };
  const grown = clean.filter((s) => s.result === 'extended').length;
  return result(
    'consistent',
    `the live head version ${live.version} extends the published version ${published.version} ` +
      `(${grown} stream(s) grew, proven consistent; ${clean.length - grown} unchanged)`,
    clean,
  );
}
