import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { CommittedEvent } from '../core/audit-event';
import { parseCheckpoint, verifyCheckpointSignature, type ParsedCheckpoint } from '../core/checkpoint';
import { formatTrustedKeys, parseTrustedKeys, type PublicKeyInfo } from '../core/signing';
import type { Database } from '../db/client';
import { ConfigError } from '../runtime/errors';
import { databaseKeys, pages, summarise, toVerifyRow, type VerifyResult } from './verify';
import { StreamVerifier, type StreamVerifyResult, type VerifyRow } from './verify-engine';

/**
 * Evidence bundle: a directory an auditor verifies offline.
 *
 * - `events.jsonl`: every event, ordered by stream then seq (see {@link BundleEvent});
 * - `checkpoints.jsonl`: `{"stream", "tree_size", "checkpoint"}` per signed checkpoint, ascending;
 * - `keys.txt`: the signing keys recorded in the database (trusted-keys format; NOT a trust anchor);
 * - `manifest.json`: format, creation time, per-stream head and SHA-256 of each file.
 */
export const BUNDLE_FORMAT = 'ledgerflow-bundle/1';

/** One line of `events.jsonl`: the committed envelope plus chain and payload fields (hashes hex). */
export interface BundleEvent extends CommittedEvent {
  payload_digest: string;
  prev_hash: string;
  hash: string;
  /** The payload, or null when purged. */
  payload: unknown;
  payload_salt: string | null;
  payload_purged: boolean;
}

export interface BundleManifest {
  format: string;
  created_at: string;
  streams: Array<{
    stream: string;
    events: number;
    head_seq: number;
    head_hash: string | null;
    checkpoints: number;
  }>;
  files: Record<string, { sha256: string; bytes: number }>;
}

function write(out: WriteStream, line: string): Promise<void> | void {
  if (!out.write(line)) return new Promise((resolve) => out.once('drain', () => resolve()));
}

function close(out: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
}

function fileDigest(file: string): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let bytes = 0;
    createReadStream(file)
      .on('data', (c) => {
        h.update(c);
        bytes += c.length;
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: h.digest('hex'), bytes }));
  });
}

/** Writes an evidence bundle of one or all streams into `dir` (created if missing). */
export async function exportBundle(
  db: Database,
  dir: string,
  opts: { stream?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<BundleManifest> {
  mkdirSync(dir, { recursive: true });
  const streams = (
    await db.$client.query<{ stream: string; n: number }>(
      `SELECT stream, max(seq) AS n FROM ledger_events ${opts.stream ? 'WHERE stream = $1' : ''} GROUP BY stream ORDER BY stream`,
      opts.stream ? [opts.stream] : [],
    )
  ).rows;
  const total = streams.reduce((n, s) => n + Number(s.n), 0);
  const events = createWriteStream(path.join(dir, 'events.jsonl'));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    created_at: new Date().toISOString(),
    streams: [],
    files: {},
  };
  let done = 0;
  for (const { stream } of streams) {
    let count = 0;
    let head: { seq: number; hash: string } | null = null;
    for await (const rows of pages(db, stream, 0, 5000)) {
      for (const r of rows) {
        const v = toVerifyRow(stream, r);
        const line: BundleEvent = {
          ...v.event,
          payload_digest: v.payloadDigest.toString('hex'),
          prev_hash: v.prevHash.toString('hex'),
          hash: v.hash.toString('hex'),
          payload: v.payload ?? null,
          payload_salt: v.salt ? v.salt.toString('hex') : null,
          payload_purged: v.purged,
        };
        await write(events, `${JSON.stringify(line)}\n`);
        count++;
        head = { seq: v.event.seq, hash: line.hash };
      }
      done += rows.length;
      opts.onProgress?.(done, total);
    }
    manifest.streams.push({
      stream,
      events: count,
      head_seq: head?.seq ?? 0,
      head_hash: head?.hash ?? null,
      checkpoints: 0,
    });
  }
  await close(events);
  const cps = await db.$client.query<{ stream: string; tree_size: number; checkpoint: string }>(
    `SELECT stream, tree_size, checkpoint FROM ledger_checkpoints ${opts.stream ? 'WHERE stream = $1' : ''} ORDER BY stream, tree_size`,
    opts.stream ? [opts.stream] : [],
  );
  writeFileSync(
    path.join(dir, 'checkpoints.jsonl'),
    cps.rows
      .map(
        (c) =>
          `${JSON.stringify({ stream: c.stream, tree_size: Number(c.tree_size), checkpoint: c.checkpoint })}\n`,
      )
      .join(''),
  );
  for (const s of manifest.streams) s.checkpoints = cps.rows.filter((c) => c.stream === s.stream).length;
  const keys = [...(await databaseKeys(db)).values()];
  writeFileSync(
    path.join(dir, 'keys.txt'),
    formatTrustedKeys(
      keys,
      'Signing keys recorded in the ledger database. NOT a trust anchor: compare with keys pinned elsewhere.',
    ),
  );
  for (const f of ['events.jsonl', 'checkpoints.jsonl', 'keys.txt'])
    manifest.files[f] = await fileDigest(path.join(dir, f));
  writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** A 32-byte hash from hex; anything else becomes an empty buffer, which never matches (reported, not thrown). */
function hex(s: unknown): Buffer {
  return typeof s === 'string' && /^[0-9a-f]{64}$/.test(s) ? Buffer.from(s, 'hex') : Buffer.alloc(0);
}

function toRow(e: BundleEvent): VerifyRow {
  const { payload_digest, prev_hash, hash, payload, payload_salt, payload_purged, ...event } = e;
  return {
    event: event as CommittedEvent,
    payloadDigest: hex(payload_digest),
    prevHash: hex(prev_hash),
    hash: hex(hash),
    payload: payload ?? null,
    salt: typeof payload_salt === 'string' ? Buffer.from(payload_salt, 'hex') : null,
    purged: payload_purged === true,
  };
}

/**
 * Verifies a bundle offline (no database): file digests from the manifest, then every stream
 * with the same rules as `verifyLedger`. Only `trustedKeys` count for signatures; the bundle's
 * own keys.txt proves nothing.
 */
export async function verifyBundle(
  dir: string,
  opts: {
    trustedKeys: Map<string, PublicKeyInfo>;
    trustedCheckpoint?: ParsedCheckpoint | null;
    stream?: string;
  },
): Promise<VerifyResult & { manifestOk: boolean }> {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!existsSync(manifestFile))
    throw new ConfigError(`${dir} is not a ledgerflow bundle (no manifest.json)`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BundleManifest;
  if (manifest.format !== BUNDLE_FORMAT)
    throw new ConfigError(`unsupported bundle format ${String(manifest.format)}`);
  const warnings: string[] = [];
  let manifestOk = true;
  for (const [f, want] of Object.entries(manifest.files)) {
    const got = existsSync(path.join(dir, f)) ? await fileDigest(path.join(dir, f)) : null;
    if (!got || got.sha256 !== want.sha256) {
      manifestOk = false;
      warnings.push(`${f} does not match the manifest's SHA-256 (changed after export)`);
    }
  }
  const tc = opts.trustedCheckpoint ?? null;
  if (tc) {
    const v = verifyCheckpointSignature(tc, opts.trustedKeys);
    if (!v.ok) throw new ConfigError(`the trusted checkpoint is not signed by a trusted key: ${v.reason}`);
  }
  try {
    const bundleKeys = parseTrustedKeys(readFileSync(path.join(dir, 'keys.txt'), 'utf8'));
    const unpinned = [...bundleKeys.keys()].filter((k) => !opts.trustedKeys.has(k));
    if (unpinned.length > 0)
      warnings.push(`the bundle lists keys that are not pinned: ${unpinned.join(', ')} (ignored)`);
  } catch {
    warnings.push('keys.txt is missing or unreadable (it is informational only)');
  }
  const checkpoints = new Map<string, ParsedCheckpoint[]>();
  const cpFile = path.join(dir, 'checkpoints.jsonl');
  const badCheckpoints: string[] = [];
  if (existsSync(cpFile)) {
    for (const line of readFileSync(cpFile, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const c = JSON.parse(line) as { stream: string; checkpoint: string };
        const cp = parseCheckpoint(c.checkpoint);
        if (!checkpoints.has(cp.stream)) checkpoints.set(cp.stream, []);
        checkpoints.get(cp.stream)?.push(cp);
      } catch (err) {
        badCheckpoints.push((err as Error).message);
      }
    }
  }
  for (const list of checkpoints.values()) list.sort((a, b) => a.treeSize - b.treeSize);
  const results: StreamVerifyResult[] = [];
  let current: StreamVerifier | null = null;
  let currentStream: string | null = null;
  const seenStreams = new Set<string>();
  const start = (stream: string) => {
    seenStreams.add(stream);
    currentStream = stream;
    current = new StreamVerifier({
      stream,
      checkpoints: checkpoints.get(stream) ?? [],
      trustedKeys: opts.trustedKeys,
      keysPinned: true,
      trustedCheckpoint: tc && tc.stream === stream ? tc : null,
    });
  };
  const lines = createInterface({
    input: createReadStream(path.join(dir, 'events.jsonl')),
    crlfDelay: Infinity,
  });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (!line) continue;
    let e: BundleEvent;
    try {
      e = JSON.parse(line) as BundleEvent;
    } catch {
      throw new ConfigError(`events.jsonl line ${lineNo} is not JSON`);
    }
    if (opts.stream && e.stream !== opts.stream) continue;
    if (e.stream !== currentStream) {
      if (current) results.push((current as StreamVerifier).finish());
      if (seenStreams.has(e.stream))
        throw new ConfigError(`events.jsonl: stream ${e.stream} is not contiguous (line ${lineNo})`);
      start(e.stream);
    }
    try {
      (current as unknown as StreamVerifier).push(toRow(e));
    } catch (err) {
      throw new ConfigError(`events.jsonl line ${lineNo}: ${(err as Error).message}`);
    }
  }
  if (current) results.push((current as StreamVerifier).finish());
  // Streams with checkpoints but no events at all were truncated entirely.
  for (const s of checkpoints.keys()) {
    if (!seenStreams.has(s) && (!opts.stream || opts.stream === s)) {
      start(s);
      results.push((current as unknown as StreamVerifier).finish());
    }
  }
  const summary = summarise(results, opts.stream ?? null, true);
  if (badCheckpoints.length > 0 && summary.valid) {
    return {
      ...summary,
      valid: false,
      fault: 'checkpoint signature invalid',
      detail: `unparsable checkpoint: ${badCheckpoints[0]}`,
      manifestOk,
      warnings: [...summary.warnings, ...warnings],
    };
  }
  return { ...summary, manifestOk, warnings: [...summary.warnings, ...warnings] };
}
