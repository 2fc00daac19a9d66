import { PURGE_EVENT_STREAM } from './purge-events';
import { PurgeScan, readlineLines } from './bundle-purge-scan';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommittedEvent } from '../core/audit-event';
import { canonicalJson } from '../core/canonical-json';
import {
  NO_PREVIOUS_HEAD,
  headCheckpoints,
  headDigest,
  parseHead,
  type ParsedHead,
} from '../core/ledger-head';
import { parseCheckpoint, verifyCheckpointSignature, type ParsedCheckpoint } from '../core/checkpoint';
import { formatTrustedKeys, parseTrustedKeys, type PublicKeyInfo } from '../core/signing';
import type { Database } from '../db/client';
import { ConfigError } from '../runtime/errors';
import { databaseKeys, pages, summarise, toVerifyRow, type VerifyResult } from './verify';
import { StreamVerifier, type Fault, type VerifyRow } from './verify-engine';
import { parseBundleLine, type BundleEvent } from './bundle-line';
import type { BundleSegment } from './bundle-chunk';
import { BundleFeed, type FedChunk } from './bundle-feed';
import { verifyPool } from './verify-pool';
import { tailChunkBytes } from './line-chunks';

export { TAIL_CHUNK_MIN_BYTES } from './line-chunks';
export { parseBundleLine, type BundleEvent } from './bundle-line';

/**
 * Evidence bundle: a directory an auditor verifies offline.
 *
 * - `events.jsonl`: every event, ordered by stream then seq (see {@link BundleEvent});
 * - `checkpoints.jsonl`: `{"stream", "tree_size", "checkpoint"}` per signed checkpoint, ascending;
 * - `heads.jsonl`: `{"version", "head"}` per signed ledger head, ascending version;
 * - `keys.txt`: the signing keys recorded in the database (trusted-keys format; NOT a trust anchor);
 * - `manifest.json`: format, creation time, per-stream head and SHA-256 of each file.
 */
export const BUNDLE_FORMAT = 'ledgerflow-bundle/1';

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
    createReadStream(file, { highWaterMark: READ_BYTES })
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
        await write(events, `${canonicalJson(line)}\n`);
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
          `${canonicalJson({ stream: c.stream, tree_size: Number(c.tree_size), checkpoint: c.checkpoint })}\n`,
      )
      .join(''),
  );
  const heads = await db.$client.query<{ version: number; head: string }>(
    'SELECT version, head FROM ledger_heads ORDER BY version',
  );
  writeFileSync(
    path.join(dir, 'heads.jsonl'),
    heads.rows.map((h) => `${canonicalJson({ version: Number(h.version), head: h.head })}\n`).join(''),
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
  for (const f of ['events.jsonl', 'checkpoints.jsonl', 'heads.jsonl', 'keys.txt'])
    manifest.files[f] = await fileDigest(path.join(dir, f));
  writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function toRow(e: BundleEvent, coverage: PurgeScan): VerifyRow {
  const { payload_digest, prev_hash, hash, payload, payload_salt, payload_purged, ...event } = e;
  return {
    event: event as CommittedEvent,
    payloadDigest: Buffer.from(payload_digest, 'hex'),
    prevHash: Buffer.from(prev_hash, 'hex'),
    hash: Buffer.from(hash, 'hex'),
    payload: payload ?? null,
    salt: payload_salt === null ? null : Buffer.from(payload_salt, 'hex'),
    // The bundle's flag is not trusted: only a signed, chained purge event proves a purge.
    purged: payload_purged && coverage.covers(e.stream, e.seq),
  };
}

/** A fault that belongs to no single stream's chain (a broken head chain, a line with no stream). */
interface GlobalFault {
  fault: Fault;
  stream: string | null;
  firstBadSeq: number | null;
  detail: string;
}

function readJsonLines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/**
 * Reads `heads.jsonl` and checks the chain: versions 1, 2, 3, ... each naming the SHA-256 of the
 * previous body, no stream dropped or shrunk. Returns the parsed heads and the first break.
 */
function readHeads(dir: string): { heads: ParsedHead[]; fault: GlobalFault | null } {
  const heads: ParsedHead[] = [];
  const broken = (detail: string) => ({
    heads,
    fault: { fault: 'head chain broken' as const, stream: null, firstBadSeq: null, detail },
  });
  for (const [i, line] of readJsonLines(path.join(dir, 'heads.jsonl')).entries()) {
    let h: ParsedHead;
    try {
      const o = JSON.parse(line) as { version: unknown; head: unknown };
      if (
        canonicalJson(o) !== line ||
        Object.keys(o).sort().join(',') !== 'head,version' ||
        typeof o.head !== 'string'
      )
        return broken(`heads.jsonl line ${i + 1} is malformed`);
      h = parseHead(o.head);
      if (h.version !== o.version)
        return broken(`heads.jsonl line ${i + 1}: version differs from the head text`);
    } catch (err) {
      return broken(`heads.jsonl line ${i + 1}: ${(err as Error).message}`);
    }
    const prev = heads.at(-1);
    if (!prev && (h.version !== 1 || h.previous !== NO_PREVIOUS_HEAD))
      return broken(`the first head is version ${h.version}, not version 1`);
    if (prev) {
      if (h.version !== prev.version + 1 || h.previous !== headDigest(prev.body))
        return broken(`head version ${h.version} does not chain to version ${prev.version}`);
      const now = new Map(h.streams.map((s) => [s.stream, s.treeSize]));
      const lost = prev.streams.find((s) => (now.get(s.stream) ?? -1) < s.treeSize);
      if (lost) return broken(`head version ${h.version} drops or shrinks stream ${lost.stream}`);
    }
    heads.push(h);
  }
  return { heads, fault: null };
}

/** Read size of events.jsonl (the default 64 KiB costs a read per ~55 events). */
const READ_BYTES = 1 << 20;

/** Bytes below which starting worker threads costs more than it saves (about 8,000 events). */
export const BUNDLE_WORKER_MIN_BYTES = 8 << 20;

/**
 * Worker threads for an offline bundle check: one per core, at most 4. The workers are the
 * bottleneck (this thread reads, digests the file and folds leaves, idle much of the time), so on
 * 2 cores 2 workers beat 1: wall time per line, median of 9 runs each at load 12–15, 33 vs 49 µs.
 */
export function defaultBundleWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/** Cut sizes for events.jsonl checked on `workers` threads: see {@link tailChunkBytes}. */
export function bundleChunkSizes(
  fileBytes: number,
  chunkBytes: number,
  workers: number,
): (offset: number) => number {
  return (offset) => tailChunkBytes(fileBytes - offset, chunkBytes, workers);
}

/** A chunk's lines: split at \n (a chunk with a carriage return is split as readline would). */
function splitLines(chunk: Buffer): string[] {
  const text = chunk.toString('utf8');
  if (chunk.includes(13)) return readlineLines(text);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** How much older than a signed head a stream's first event must be for the head to have to list it. */
export const HEAD_LISTING_GRACE_MS = 60_000;

/**
 * Verifies a bundle offline (no database): file digests from the manifest, then every stream
 * with the same rules as `verifyLedger`. Only `trustedKeys` count for signatures; the bundle's
 * own keys.txt proves nothing. A tampered or malformed bundle is reported as a fault; only a
 * bundle that cannot be read at all (or an untrusted anchor) throws.
 */
export async function verifyBundle(
  dir: string,
  opts: {
    trustedKeys: Map<string, PublicKeyInfo>;
    /** Checkpoints trusted from outside (a ledger head expands to one per stream). */
    trustedCheckpoint?: ParsedCheckpoint | ParsedCheckpoint[] | null;
    /** A ledger head trusted from outside; its streams become trusted checkpoints. */
    trustedHead?: ParsedHead | null;
    stream?: string;
    /** Worker threads checking chunks of lines; 0 checks on this thread. Default: {@link defaultBundleWorkers}, none below {@link BUNDLE_WORKER_MIN_BYTES}. */
    workers?: number;
    /** Bytes of events.jsonl checked as one unit (default 1 MiB; tests cut smaller to cross streams and chunks). */
    chunkBytes?: number;
    /**
     * Read the purge coverage in a pass of its own before verifying (slower): the reference the
     * default single read (coverage gathered while verifying) is tested against.
     */
    coverageFirst?: boolean;
  },
): Promise<VerifyResult & { manifestOk: boolean }> {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!existsSync(manifestFile))
    throw new ConfigError(`${dir} is not a ledgerflow bundle (no manifest.json)`);
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BundleManifest;
  } catch {
    throw new ConfigError(`${dir}/manifest.json is not JSON`);
  }
  if (manifest.format !== BUNDLE_FORMAT)
    throw new ConfigError(`unsupported bundle format ${String(manifest.format)}`);
  if (!existsSync(path.join(dir, 'events.jsonl'))) throw new ConfigError(`${dir} has no events.jsonl`);
  const file = path.join(dir, 'events.jsonl');
  const bytes = statSync(file).size;
  const workers = opts.workers ?? (bytes >= BUNDLE_WORKER_MIN_BYTES ? defaultBundleWorkers() : 0);
  const pool = workers > 0 ? verifyPool(workers) : null;
  const chunkBytes = opts.chunkBytes ?? 1 << 20;
  const openFeed = (onChecked?: (buf: Buffer, segments: BundleSegment[] | null) => void) =>
    BundleFeed.open(file, pool, {
      chunkBytes,
      sizes: pool ? bundleChunkSizes(bytes, chunkBytes, pool.size) : undefined,
      onChecked,
    });
  // The workers start on the lines while this thread reads the rest of the bundle; the purge
  // scan needs the checkpoints, so the lines it parses (found by the workers) are kept until it
  // exists.
  const earlyPurgeLines: string[] = [];
  const early = opts.coverageFirst
    ? null
    : await openFeed((buf, segments) => earlyPurgeLines.push(...PurgeScan.checkedCandidates(buf, segments)));
  void early?.fill();
  try {
    const warnings: string[] = [];
    let manifestOk = true;
    const mismatch = (f: string) => `${f} does not match the manifest's SHA-256 (changed after export)`;
    // events.jsonl is hashed while it is read for verification; its warning keeps its place.
    let eventsDigest: { want: string; at: number } | null = null;
    for (const [f, want] of Object.entries(manifest.files ?? {})) {
      if (f === 'events.jsonl') {
        eventsDigest = { want: want.sha256, at: warnings.length };
        continue;
      }
      const got = existsSync(path.join(dir, f)) ? await fileDigest(path.join(dir, f)) : null;
      if (!got || got.sha256 !== want.sha256) {
        manifestOk = false;
        warnings.push(mismatch(f));
      }
    }
    const trustedHead = opts.trustedHead ?? null;
    const tcs = [
      ...(opts.trustedCheckpoint ? [opts.trustedCheckpoint].flat() : []),
      ...(trustedHead ? headCheckpoints(trustedHead) : []),
    ];
    for (const tc of tcs) {
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
    const wanted = (s: string) => !opts.stream || opts.stream === s;
    const checkpoints = new Map<string, ParsedCheckpoint[]>();
    const addCheckpoint = (cp: ParsedCheckpoint) => {
      if (!checkpoints.has(cp.stream)) checkpoints.set(cp.stream, []);
      checkpoints.get(cp.stream)?.push(cp);
    };
    const badCheckpoints = new Map<string, string>();
    for (const [i, line] of readJsonLines(path.join(dir, 'checkpoints.jsonl')).entries()) {
      let stream = '';
      try {
        const c = JSON.parse(line) as { stream: string; tree_size: number; checkpoint: string };
        stream = typeof c.stream === 'string' ? c.stream : '';
        if (canonicalJson(c) !== line || Object.keys(c).sort().join(',') !== 'checkpoint,stream,tree_size')
          throw new TypeError('not a canonical {"checkpoint","stream","tree_size"} line');
        const cp = parseCheckpoint(c.checkpoint);
        if (cp.stream !== c.stream || cp.treeSize !== c.tree_size)
          throw new TypeError('stream or tree_size differ from the checkpoint text');
        addCheckpoint(cp);
      } catch (err) {
        if (!badCheckpoints.has(stream))
          badCheckpoints.set(stream, `checkpoints.jsonl line ${i + 1}: ${(err as Error).message}`);
      }
    }
    const globalFaults: GlobalFault[] = [];
    const { heads, fault: headFault } = readHeads(dir);
    if (headFault) globalFaults.push(headFault);
    if (trustedHead) {
      const same = heads.find((h) => h.version === trustedHead.version);
      if (same ? same.body !== trustedHead.body : (heads.at(-1)?.version ?? 0) < trustedHead.version)
        globalFaults.push({
          fault: 'head chain broken',
          stream: null,
          firstBadSeq: null,
          detail: same
            ? `the bundle's head version ${trustedHead.version} differs from the trusted head (a fork)`
            : `the bundle lacks the trusted head version ${trustedHead.version} (rolled back)`,
        });
    }
    for (const h of heads) for (const cp of headCheckpoints(h)) addCheckpoint(cp);
    for (const list of checkpoints.values()) list.sort((a, b) => a.treeSize - b.treeSize);

    const newVerifier = (stream: string): StreamVerifier =>
      new StreamVerifier({
        stream,
        checkpoints: checkpoints.get(stream) ?? [],
        trustedKeys: opts.trustedKeys,
        keysPinned: true,
        trustedCheckpoint: tcs.find((c) => c.stream === stream) ?? null,
      });

    /**
     * One read of events.jsonl, verifying every stream; with `gather`, the purge coverage is
     * gathered and the file hashed in the same read (a stopped read leaves its digest null).
     */
    const readEvents = async (scan: PurgeScan, gather: boolean, feed: BundleFeed, purgeLines: string[]) => {
      const verifiers = new Map<string, StreamVerifier>();
      const firstOccurred = new Map<string, string>();
      const faults: GlobalFault[] = [];
      let current: StreamVerifier | null = null;
      let currentStream: string | null = null;
      const start = (stream: string): StreamVerifier => {
        const v = newVerifier(stream);
        verifiers.set(stream, v);
        return v;
      };
      let lineNo = 0;
      let stopped = false;
      /** Switches to `stream` at line `at`: 'new' when it begins here, false when it appeared before (not contiguous). */
      const enter = (stream: string, seq: number | null, at: number): 'same' | 'new' | false => {
        if (stream === currentStream) return 'same';
        if (verifiers.has(stream)) {
          faults.push({
            fault: 'order changed',
            stream,
            firstBadSeq: seq,
            detail: `events.jsonl line ${at}: stream ${stream} is not contiguous`,
          });
          return false;
        }
        current = start(stream);
        currentStream = stream;
        return 'new';
      };
      /** One line, read as the reference loop reads it; false stops reading (a fault outside any stream). */
      const feedLine = (line: string): boolean => {
        lineNo++;
        if (!line) return true;
        const parsed = parseBundleLine(line);
        const stream: string | null =
          'event' in parsed ? parsed.event.stream : (parsed.stream ?? currentStream);
        if (stream === null) {
          faults.push({
            fault: 'malformed line',
            stream: null,
            firstBadSeq: null,
            detail: `events.jsonl line ${lineNo}: ${(parsed as { error: string }).error}`,
          });
          return false;
        }
        if (!wanted(stream)) return true;
        const entered = enter(stream, 'event' in parsed ? parsed.event.seq : null, lineNo);
        if (!entered) return false;
        if ('event' in parsed) {
          if (entered === 'new') firstOccurred.set(stream, String(parsed.event.occurred_at));
          (current as StreamVerifier).push(toRow(parsed.event, scan));
        } else (current as StreamVerifier).reject(`events.jsonl line ${lineNo}: ${parsed.error}`);
        return true;
      };
      /** A segment checked on its own: folded in whole when it continues its stream's chain, else line by line. */
      const feedSegment = (seg: BundleSegment, lines: () => string[]): boolean => {
        const stream = seg.stream as string;
        if (wanted(stream)) {
          const entered = enter(stream, seg.firstSeq, lineNo + 1);
          if (!entered) return false;
          if (entered === 'new') firstOccurred.set(stream, seg.firstOccurred);
          const v = current as StreamVerifier;
          // A purge flag alone is not proof: only a signed purge event is.
          const covered = seg.purgedSeqs.every((q) => scan.covers(stream, q));
          if (!covered || !v.pushChecked(seg)) {
            for (const line of lines().slice(seg.from, seg.to)) if (!feedLine(line)) return false;
            return true;
          }
        }
        lineNo += seg.rows;
        return true;
      };
      const fileHash = gather ? createHash('sha256') : null;
      const consume = async (item: FedChunk): Promise<boolean> => {
        if (!item.checked) {
          fileHash?.update(item.chunk);
          for (const line of splitLines(item.chunk)) if (!feedLine(line)) return false;
          return true;
        }
        const { segments, buf } = await item.checked;
        // Hashed once back from the worker, in file order: never in the way of the next dispatch.
        fileHash?.update(buf);
        let text: string[] | null = null;
        const lines = () => (text ??= splitLines(buf));
        for (const seg of segments) {
          if (seg.stream === null) {
            for (const line of lines().slice(seg.from, seg.to)) if (!feedLine(line)) return false;
          } else if (!feedSegment(seg, lines)) return false;
        }
        feed.spare.push(Buffer.from(buf.buffer));
        return true;
      };
      try {
        for (let item = await feed.next(); item && !stopped; item = await feed.next()) {
          if (gather) {
            scan.add(purgeLines.splice(0));
            // Every chunk is checked and scanned: from here on the coverage is final.
            if (feed.allChecked) scan.complete();
          }
          stopped = !(await consume(item));
        }
        if (gather && !stopped) {
          scan.add(purgeLines.splice(0));
          scan.complete();
        }
      } finally {
        await feed.close();
      }
      return {
        verifiers,
        firstOccurred,
        faults,
        scan,
        stopped,
        digest: fileHash && !stopped ? fileHash.digest('hex') : null,
      };
    };

    const scanner = () => new PurgeScan(checkpoints.get(PURGE_EVENT_STREAM) ?? [], tcs, opts.trustedKeys);
    let pass = opts.coverageFirst
      ? await readEvents(await scanner().scanFile(file), false, await openFeed(), [])
      : await readEvents(scanner(), true, early as BundleFeed, earlyPurgeLines);
    const digest = pass.digest;
    if (pass.scan.missedEarly) {
      // A purged payload was looked up before every purge event was read (e.g. its stream sorts
      // before the purge stream): verify again with the whole coverage, as a pass of its own would.
      const whole = pass.stopped ? await scanner().scanFile(file) : pass.scan.complete();
      whole.missedEarly = false;
      pass = await readEvents(whole, false, await openFeed(), []);
    }
    const { verifiers, firstOccurred } = pass;
    globalFaults.push(...pass.faults);
    if (eventsDigest) {
      const got = digest ?? (await fileDigest(file)).sha256;
      if (got !== eventsDigest.want) {
        manifestOk = false;
        warnings.splice(eventsDigest.at, 0, mismatch('events.jsonl'));
      }
    }
    // Streams a trusted root covers but with no events at all were removed.
    for (const s of [...checkpoints.keys(), ...tcs.map((c) => c.stream)])
      if (!verifiers.has(s) && wanted(s) && s !== '') verifiers.set(s, newVerifier(s));
    // The newest validly signed head: newest first, so usually one signature is checked, not all.
    const latestHead = [...heads, ...(trustedHead ? [trustedHead] : [])]
      .sort((a, b) => b.version - a.version)
      .find((h) => verifyCheckpointSignature(h, opts.trustedKeys).ok);
    for (const [stream, v] of verifiers) {
      const first = firstOccurred.get(stream);
      if (latestHead && first && !latestHead.streams.some((e) => e.stream === stream)) {
        if (Date.parse(first) + HEAD_LISTING_GRACE_MS < Date.parse(latestHead.timestamp))
          v.failExternally(
            'stream added',
            1,
            `stream ${stream} began at ${first}, before the signed head version ${latestHead.version} (${latestHead.timestamp}) that does not list it`,
          );
      }
    }
    const results = [...verifiers.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([stream, v]) => {
        const r = v.finish();
        const bad = badCheckpoints.get(stream);
        return bad && r.valid
          ? {
              ...r,
              valid: false,
              fault: 'checkpoint signature invalid' as const,
              firstBadSeq: r.provenTreeSize + 1 <= r.headSeq ? r.provenTreeSize + 1 : null,
              detail: `unparsable checkpoint: ${bad}`,
            }
          : r;
      });
    const summary = summarise(results, opts.stream ?? null, true);
    const g = globalFaults[0];
    if (g) {
      return {
        ...summary,
        valid: false,
        stream: g.stream,
        fault: g.fault,
        firstBadSeq: g.firstBadSeq,
        detail: g.detail,
        suspectRange: null,
        manifestOk,
        warnings: [...summary.warnings, ...warnings],
      };
    }
    return { ...summary, manifestOk, warnings: [...summary.warnings, ...warnings] };
  } finally {
    await early?.close();
  }
}
