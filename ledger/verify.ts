import {
  parseCheckpoint,
  preverifyCheckpointSignatures,
  verifyCheckpointSignature,
  type ParsedCheckpoint,
} from '../core/checkpoint';
import { GENESIS_HASH } from '../core/hash-chain';
import { headCheckpoints, parseHead, type ParsedHead } from '../core/ledger-head';
import { CompactRange, leafHash } from '../core/merkle';
import type { PublicKeyInfo } from '../core/signing';
import type { Database } from '../db/client';
import { ConfigError } from '../runtime/errors';
import { PURGE_EVENT_STREAM, PURGE_EVENT_TYPE, PURGE_RESOURCE_TYPE, PurgeCoverage } from './purge-events';
import { StreamVerifier, type Fault, type StreamVerifyResult } from './verify-engine';
import { toVerifyRow, type Row } from './verify-rows';
import { copyChunks, parseCopyLine, type CopyChunk } from './copy-rows';
import { tailChunkBytes } from './line-chunks';
import { checkChunk, checkChunkBeside, chunkCheckerImplementation, type ChunkResult } from './verify-chunk';
import { defaultVerifyWorkers, verifyPool } from './verify-pool';

export { toVerifyRow, type Row } from './verify-rows';

export type { Fault, StreamVerifyResult } from './verify-engine';

/** Rows per page of the keyset scan; the next page is read while this one is hashed. */
export const VERIFY_PAGE_SIZE = 5000;

export interface VerifyOptions {
  /** One stream, or every stream when omitted. */
  stream?: string;
  /**
   * Start at this seq (trusting the stored hash of the one before); default 1. Only the
   * checkpoints and heads that reach `fromSeq` are read, so the run costs what the new events do.
   */
  fromSeq?: number;
  /**
   * Public keys pinned outside the database. When omitted, the keys stored in the database are
   * used and the result carries a warning: they prove nothing against someone who can write there.
   */
  trustedKeys?: Map<string, PublicKeyInfo>;
  /** A checkpoint trusted from outside (e.g. the last one published); the stored events must extend it. */
  trustedCheckpoint?: ParsedCheckpoint | ParsedCheckpoint[] | null;
  /**
   * Worker threads checking chunks in parallel with the read (default: `defaultVerifyWorkers`;
   * with none, the native checker runs beside this thread on libuv's pool); 0 checks everything
   * on this thread. Runs of fewer than {@link WORKER_MIN_EVENTS} events start no worker threads.
   */
  workers?: number;
  /** Called as events are checked: so far and in total, over the streams begun so far. */
  onProgress?: (checked: number, total: number) => void;
}

/** Result of verifying one or all streams; the top-level fields describe the first invalid stream. */
export interface VerifyResult {
  valid: boolean;
  /** The stream verified (or the first invalid one), null when all were verified and valid. */
  stream: string | null;
  eventsChecked: number;
  firstBadSeq: number | null;
  fault: Fault | null;
  detail: string | null;
  suspectRange: [number, number] | null;
  keysPinned: boolean;
  streams: StreamVerifyResult[];
  warnings: string[];
}

const PAGE_SQL = `
  SELECT e.seq, e.event_id, e.event_type, e.actor_type, e.actor_id,
         ((extract(epoch FROM e.occurred_at) * 1000000)::bigint)::text,
         e.resource_type, e.resource_id, e.action, e.outcome, e.subject_id, e.case_id, e.context,
         e.schema_version, e.idempotency_key, e.payload_digest, e.prev_hash, e.hash,
         p.salt, p.payload, (p.seq IS NULL AND EXISTS (SELECT 1 FROM ledger_payload_purge_of(e.stream, e.seq)))
    FROM ledger_events e
    LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq AND p.seq > $2
   WHERE e.stream = $1 AND e.seq > $2
   ORDER BY e.seq
   LIMIT $3`;

/**
 * Pages of a stream in seq order by keyset pagination; the query for page k+1 is in flight
 * while the caller processes page k, so reading and hashing overlap.
 */
export async function* pages(
  db: Database,
  stream: string,
  afterSeq: number,
  pageSize: number,
): AsyncGenerator<Row[]> {
  const fetch = (after: number) =>
    db.$client
      .query<Row>({ text: PAGE_SQL, values: [stream, after, pageSize], rowMode: 'array' })
      .then((r) => r.rows);
  let next = fetch(afterSeq);
  for (;;) {
    const rows = await next;
    if (rows.length === 0) return;
    const last = rows[rows.length - 1] as Row;
    next = rows.length < pageSize ? Promise.resolve([]) : fetch(Number(last[0]));
    yield rows;
  }
}

/** Streams verified at once (each holds one connection for its COPY). */
export const PARALLEL_STREAMS = 3;

/** Size of the COPY chunks handed to the worker threads (the first ones and the last ones are smaller). */
const CHUNK_BYTES = 1 << 20;

/** Chunks checked beside this thread at once (libuv's pool has 4 threads; PostgreSQL and this thread need the cores too). */
const BESIDE_IN_FLIGHT = 2;

/** Below this many events to check, starting worker threads costs more than it saves. */
export const WORKER_MIN_EVENTS = 20_000;

/**
 * Reads the stream by COPY and checks chunks of it, in parallel on worker threads when there
 * are enough events. A chunk that does not check out cleanly (or does not continue the chain)
 * is fed row by row to the verifier, which names the fault; the rest of the stream follows it
 * that way.
 */
async function feedChunks(
  db: Database,
  stream: string,
  fromSeq: number,
  verifier: StreamVerifier,
  total: number,
  opts: VerifyOptions,
  coverage: PurgeCoverage,
  onReading: () => void,
): Promise<void> {
  const workers = total >= WORKER_MIN_EVENTS ? (opts.workers ?? defaultVerifyWorkers()) : 0;
  const pool = workers > 0 ? verifyPool(workers) : null;
  // Without worker threads the native checker still runs beside this thread (libuv's pool),
  // unless `workers: 0` asked for this thread.
  const beside = pool === null && opts.workers !== 0 && chunkCheckerImplementation() === 'native';
  // Chunk buffers come back from the workers and are filled again (ledger/line-chunks.ts).
  const spare: Buffer[] = [];
  const check = (buf: Buffer): Promise<{ result: ChunkResult; buf: Buffer }> =>
    pool
      ? pool.check(stream, buf, true)
      : beside
        ? checkChunkBeside(stream, buf).then((result) => ({ result, buf }))
        : Promise.resolve({ result: checkChunk(stream, buf), buf });
  // Reading goes on while a worker could take a chunk, not only once the oldest chunk is back:
  // waiting for that one in order held the COPY (and PostgreSQL) while the other worker idled.
  const maxAtWorkers = pool ? 2 * pool.size : beside ? BESIDE_IN_FLIGHT : 1;
  const maxQueued = pool ? 4 * pool.size : beside ? 2 * BESIDE_IN_FLIGHT : 0;
  type Checked = { result: ChunkResult; buf: Buffer };
  type Item = { chunk: CopyChunk; checked: Promise<Checked> | null; done: boolean };
  const queue: Item[] = [];
  let atWorkers = 0;
  let wake: (() => void) | null = null;
  let rowByRow = false;
  let seen = 0;
  const consume = async (item: Item) => {
    let buf = item.chunk.buf;
    if (item.checked) {
      // The chunk's bytes come back with its result (they were handed over to the worker).
      const checked = await item.checked;
      buf = checked.buf;
      if (!rowByRow) {
        const r = checked.result;
        // A purge record row is not proof (a DBA can insert one): only a signed purge event is.
        const covered = r.purgedSeqs.every((seq) => coverage.covers(stream, seq));
        if (r.clean && covered && verifier.pushChecked(r)) {
          seen += r.rows;
          opts.onProgress?.(seen, total);
          spare.push(Buffer.from(buf.buffer));
          return;
        }
        rowByRow = true;
      }
    }
    const lines = buf.toString('utf8').split('\n');
    lines.pop();
    for (const line of lines) {
      if (verifier.done) return;
      const row = toVerifyRow(stream, parseCopyLine(line));
      if (row.purged && !coverage.covers(stream, row.event.seq)) row.purged = false;
      verifier.push(row);
    }
    seen += lines.length;
    opts.onProgress?.(seen, total);
  };
  /** Folds the chunks checked so far, in order; waits while the workers hold all they may or too many wait to be folded. */
  const fold = async () => {
    for (;;) {
      while (queue[0]?.done && !verifier.done) await consume(queue.shift() as Item);
      if (verifier.done || (atWorkers < maxAtWorkers && queue.length <= maxQueued)) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  };
  // The last chunks shrink so the workers finish together: the text's size is estimated from
  // the rows to check and the bytes per row of the chunks seen so far.
  let seenRows = 0;
  let seenBytes = 0;
  const sizeAt = pool
    ? (offset: number) =>
        seenRows === 0
          ? CHUNK_BYTES
          : tailChunkBytes((total * seenBytes) / seenRows - offset, CHUNK_BYTES, pool.size)
    : undefined;
  let reading = false;
  for await (const chunk of copyChunks(db, stream, fromSeq - 1, CHUNK_BYTES, spare, sizeAt)) {
    if (!reading) {
      reading = true;
      onReading();
    }
    if (verifier.done) break;
    seenRows += chunk.rows;
    seenBytes += chunk.buf.length;
    const item: Item = { chunk, checked: null, done: true };
    if (!rowByRow) {
      item.done = false;
      atWorkers++;
      const settled = () => {
        item.done = true;
        atWorkers--;
        wake?.();
      };
      item.checked = check(chunk.buf);
      item.checked.then(settled, settled);
    }
    queue.push(item);
    await fold();
  }
  while (queue.length > 0 && !verifier.done) await consume(queue.shift() as Item);
  if (!reading) onReading();
}

/**
 * The compact range over leaves `1 .. fromSeq-1` and the stored hash of `fromSeq - 1`, for a run
 * that starts mid-stream. Starts from the newest checkpoint at or below `fromSeq - 1` whose
 * stored frontier folds to its root signed by one of `keys`, so an incremental run reads at
 * most the events since that checkpoint, not the whole stream; without one, from seq 1.
 */
async function rangeBefore(
  db: Database,
  stream: string,
  fromSeq: number,
  keys: Map<string, PublicKeyInfo>,
): Promise<{ prev: Buffer; range: CompactRange }> {
  let range = new CompactRange();
  const cp = await db.$client.query<{ tree_size: string; frontier: Buffer | null; checkpoint: string }>(
    'SELECT tree_size, frontier, checkpoint FROM ledger_checkpoints WHERE stream = $1 AND tree_size <= $2 ORDER BY tree_size DESC LIMIT 1',
    [stream, fromSeq - 1],
  );
  const row = cp.rows[0];
  if (row?.frontier) {
    try {
      const signed = parseCheckpoint(row.checkpoint);
      const stored = CompactRange.fromBytes(Number(row.tree_size), row.frontier);
      if (
        signed.stream === stream &&
        signed.treeSize === stored.size &&
        stored.root().equals(signed.rootHash) &&
        verifyCheckpointSignature(signed, keys).ok
      )
        range = stored;
    } catch {
      // an unusable checkpoint only costs speed: start from seq 1
    }
  }
  let prev: Buffer = GENESIS_HASH;
  if (range.size > 0) {
    const r = await db.$client.query<[Buffer]>({
      text: 'SELECT hash FROM ledger_events WHERE stream = $1 AND seq = $2',
      values: [stream, range.size],
      rowMode: 'array',
    });
    prev = r.rows[0]?.[0] ?? GENESIS_HASH;
  }
  let after = range.size;
  while (after < fromSeq - 1) {
    const r = await db.$client.query<[number, Buffer]>({
      text: 'SELECT seq, hash FROM ledger_events WHERE stream = $1 AND seq > $2 AND seq < $3 ORDER BY seq LIMIT 50000',
      values: [stream, after, fromSeq],
      rowMode: 'array',
    });
    if (r.rows.length === 0) break;
    for (const [seq, hash] of r.rows) {
      if (Number(seq) !== range.size + 1) break;
      range.append(leafHash(hash));
      prev = hash;
    }
    after = Number((r.rows[r.rows.length - 1] as [number, Buffer])[0]);
  }
  return { prev, range };
}

async function streamsOf(db: Database, stream?: string): Promise<string[]> {
  if (stream) return [stream];
  const r = await db.$client.query<{ stream: string }>(
    'SELECT stream FROM (SELECT DISTINCT stream FROM ledger_events UNION SELECT DISTINCT stream FROM ledger_checkpoints) s ORDER BY stream',
  );
  return r.rows.map((x) => x.stream);
}

function trustedList(opts: VerifyOptions): ParsedCheckpoint[] {
  return opts.trustedCheckpoint ? [opts.trustedCheckpoint].flat() : [];
}

/** Keys recorded in the database: used only when no keys are pinned, and then flagged as proving nothing. */
export async function databaseKeys(db: Database): Promise<Map<string, PublicKeyInfo>> {
  const r = await db.$client.query<{ key_id: string; public_key: Buffer }>(
    'SELECT key_id, public_key FROM ledger_signing_keys',
  );
  return new Map(r.rows.map((k) => [k.key_id, { keyId: k.key_id, publicKey: k.public_key }]));
}

/** What a stream's verification reads before its COPY: its stored checkpoints and its last seq. */
interface StreamStart {
  checkpoints: string[];
  lastSeq: number;
}

/** Both queries of {@link StreamStart} at once. */
async function streamStart(db: Database, stream: string, fromSeq: number): Promise<StreamStart> {
  const [cps, head] = await Promise.all([
    // Checkpoints below fromSeq cannot be recomputed (StreamVerifier skips them): not read at all.
    db.$client.query<{ checkpoint: string }>(
      'SELECT checkpoint FROM ledger_checkpoints WHERE stream = $1 AND ($2::bigint IS NULL OR tree_size >= $2) ORDER BY tree_size',
      [stream, fromSeq > 1 ? fromSeq : null],
    ),
    db.$client.query<{ n: number }>(
      'SELECT coalesce(max(seq), 0) AS n FROM ledger_events WHERE stream = $1',
      [stream],
    ),
  ]);
  return { checkpoints: cps.rows.map((r) => r.checkpoint), lastSeq: Number(head.rows[0]?.n ?? 0) };
}

/**
 * Verifies one stream from the database. Everything it compares the rows with (heads, stored
 * checkpoints, the last seq) is read before its COPY begins, so none of it can be newer than the
 * rows; the signatures are checked (on libuv's pool) once the rows are coming, with `onReading`.
 */
async function verifyStream(
  db: Database,
  stream: string,
  opts: VerifyOptions,
  keys: Map<string, PublicKeyInfo>,
  pinned: boolean,
  headCps: ParsedCheckpoint[],
  coverage: PurgeCoverage,
  started: Promise<StreamStart>,
  onReading: () => void,
): Promise<StreamVerifyResult> {
  const fromSeq = Math.max(1, opts.fromSeq ?? 1);
  const { checkpoints: stored, lastSeq } = await started;
  const checkpoints: ParsedCheckpoint[] = [];
  const unparsable: string[] = [];
  for (const c of stored) {
    try {
      checkpoints.push(parseCheckpoint(c));
    } catch (err) {
      unparsable.push((err as Error).message);
    }
  }
  const own = [...checkpoints];
  let preverified: Promise<void> = Promise.resolve();
  const reading = () => {
    onReading();
    preverified = preverifyCheckpointSignatures(own, keys);
  };
  checkpoints.push(...headCps.filter((c) => c.stream === stream));
  checkpoints.sort((a, b) => a.treeSize - b.treeSize);
  const tc = trustedList(opts).find((c) => c.stream === stream) ?? null;
  const start =
    fromSeq > 1
      ? await rangeBefore(db, stream, fromSeq, keys)
      : { prev: GENESIS_HASH, range: new CompactRange() };
  const verifier = new StreamVerifier({
    stream,
    fromSeq,
    startPrev: start.prev,
    startRange: start.range,
    checkpoints,
    trustedKeys: keys,
    keysPinned: pinned,
    trustedCheckpoint: tc,
  });
  const total = Math.max(0, lastSeq - fromSeq + 1);
  await feedChunks(db, stream, fromSeq, verifier, total, opts, coverage, reading);
  await preverified;
  const result = verifier.finish();
  if (unparsable.length > 0 && result.valid) {
    return {
      ...result,
      valid: false,
      fault: 'checkpoint signature invalid',
      firstBadSeq: result.provenTreeSize + 1,
      detail: `a stored checkpoint cannot be parsed: ${unparsable[0]}`,
    };
  }
  return result;
}

/**
 * Verifies the ledger in the database: recomputes every event's hash from its stored columns,
 * the chain links, payload digests (a missing payload needs a purge record), the Merkle root at
 * every checkpoint, checkpoint signatures against pinned keys, and consistency with a trusted
 * checkpoint. Streams in constant memory. Never throws on tampered data: it reports.
 */
export async function verifyLedger(db: Database, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const pinned = opts.trustedKeys !== undefined;
  const keys = opts.trustedKeys ?? (await databaseKeys(db));
  const tcs = trustedList(opts);
  if (pinned) {
    for (const tc of tcs) {
      const v = verifyCheckpointSignature(tc, keys);
      if (!v.ok) {
        throw new ConfigError(
          `the trusted checkpoint of stream ${tc.stream} is not signed by a trusted key: ${v.reason}`,
        );
      }
    }
  }
  if (opts.stream && tcs.length > 0 && !tcs.some((c) => c.stream === opts.stream)) {
    throw new ConfigError(`the trusted checkpoint is for stream ${tcs[0]?.stream}, not ${opts.stream}`);
  }
  // Independent reads at once; a single stream's own start too.
  const fromSeq = Math.max(1, opts.fromSeq ?? 1);
  const oneStart = opts.stream ? streamStart(db, opts.stream, fromSeq) : null;
  oneStart?.catch(() => undefined); // awaited below; a failure surfaces there
  const [heads, purgeStored, stored] = await Promise.all([
    storedHeads(db, opts.stream, opts.fromSeq),
    storedPurgeCheckpoints(db),
    opts.stream ? [opts.stream] : streamsOf(db),
  ]);
  const names = opts.stream ? stored : [...new Set([...stored, ...tcs.map((c) => c.stream)])].sort();
  const headCps = heads.flatMap(headCheckpoints);
  // The heads' signatures are checked on the thread pool once the first stream's rows are coming.
  let preverified: Promise<void> | null = null;
  const onReading = () => {
    preverified ??= preverifyCheckpointSignatures(headCps, keys);
  };
  const all = opts.stream ? names : [...new Set([...names, ...headCps.map((c) => c.stream)])].sort();
  const coverage = await purgeCoverage(db, keys, [...headCps, ...tcs], purgeStored);
  // Streams are independent: a few at once keep the database reading while this thread hashes.
  const streams: StreamVerifyResult[] = new Array<StreamVerifyResult>(all.length);
  let next = 0;
  const progress = new Map<string, [number, number]>();
  const report = opts.onProgress;
  const forStream = (s: string): VerifyOptions =>
    report
      ? {
          ...opts,
          onProgress: (checked, total) => {
            progress.set(s, [checked, total]);
            let c = 0;
            let t = 0;
            for (const [a, b] of progress.values()) {
              c += a;
              t += b;
            }
            report(c, t);
          },
        }
      : opts;
  const lane = async () => {
    for (let i = next++; i < all.length; i = next++) {
      const s = all[i] as string;
      const started = oneStart ?? streamStart(db, s, fromSeq);
      streams[i] = await verifyStream(
        db,
        s,
        forStream(s),
        keys,
        pinned,
        headCps,
        coverage,
        started,
        onReading,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_STREAMS, all.length) }, lane));
  onReading();
  await preverified;
  return summarise(streams, opts.stream ?? null, pinned);
}

/**
 * The payloads the stored purge events cover: well-formed purge events in the purge stream at a
 * seq within a root signed by a trusted key (a stored checkpoint, a head or a trusted checkpoint),
 * as the bundle verifier reads them. That those events are chained is checked by the purge
 * stream's own verification.
 */
async function purgeCoverage(
  db: Database,
  keys: Map<string, PublicKeyInfo>,
  signed: ParsedCheckpoint[],
  stored: string[],
): Promise<PurgeCoverage> {
  const candidates = signed.filter((c) => c.stream === PURGE_EVENT_STREAM);
  for (const text of stored) {
    try {
      candidates.push(parseCheckpoint(text));
    } catch {
      // unparsable: the stream's own verification reports it
    }
  }
  candidates.sort((a, b) => b.treeSize - a.treeSize);
  const root = candidates.find((c) => verifyCheckpointSignature(c, keys).ok);
  const coverage = new PurgeCoverage();
  if (!root) return coverage;
  const r = await db.$client.query<{ resource_id: string }>(
    `SELECT resource_id FROM ledger_events
      WHERE stream = $1 AND event_type = $2 AND resource_type = $3 AND seq <= $4 ORDER BY seq`,
    [PURGE_EVENT_STREAM, PURGE_EVENT_TYPE, PURGE_RESOURCE_TYPE, root.treeSize],
  );
  for (const e of r.rows) coverage.add(e.resource_id);
  return coverage;
}

/** The purge stream's stored checkpoints, newest first (for {@link purgeCoverage}). */
async function storedPurgeCheckpoints(db: Database): Promise<string[]> {
  const r = await db.$client.query<{ checkpoint: string }>(
    'SELECT checkpoint FROM ledger_checkpoints WHERE stream = $1 ORDER BY tree_size DESC',
    [PURGE_EVENT_STREAM],
  );
  return r.rows.map((x) => x.checkpoint);
}

/**
 * The signed ledger heads an incremental run over one stream needs, oldest first: those that list
 * `stream` at `fromSeq` or beyond, found through `ledger_head_streams` (a trigger indexes every
 * head's stream lines, read loosely), and the newest. An older head only repeats checkpoints
 * below the verified range, which the verifier skips; the newest covers the most purges. The
 * cost follows the heads signed since `fromSeq`, not the ledger's history.
 */
const HEADS_REACHING_SQL = `SELECT head FROM ledger_heads WHERE version IN (
       SELECT version FROM ledger_head_streams WHERE stream = $1 AND tree_size >= $2
       UNION SELECT max(version) FROM ledger_heads)
     ORDER BY version`;

/**
 * The signed ledger heads stored in the database, oldest first (unparsable ones are skipped: the
 * stream checks report what they fail to prove); for an incremental run over one stream, only
 * those it needs ({@link HEADS_REACHING_SQL}).
 */
async function storedHeads(db: Database, stream?: string, fromSeq?: number): Promise<ParsedHead[]> {
  const r =
    stream && fromSeq && fromSeq > 1
      ? await db.$client.query<{ head: string }>(HEADS_REACHING_SQL, [stream, fromSeq])
      : await db.$client.query<{ head: string }>('SELECT head FROM ledger_heads ORDER BY version');
  const out: ParsedHead[] = [];
  for (const { head } of r.rows) {
    try {
      out.push(parseHead(head));
    } catch {
      // reported by nothing else; a head that cannot be parsed proves nothing
    }
  }
  return out;
}

/** Folds per-stream results into one {@link VerifyResult}. */
export function summarise(
  streams: StreamVerifyResult[],
  stream: string | null,
  pinned: boolean,
): VerifyResult {
  const bad = streams.find((s) => !s.valid);
  const warnings = [...new Set(streams.flatMap((s) => s.warnings))];
  return {
    valid: !bad,
    stream: bad ? bad.stream : stream,
    eventsChecked: streams.reduce((n, s) => n + s.eventsChecked, 0),
    firstBadSeq: bad?.firstBadSeq ?? null,
    fault: bad?.fault ?? null,
    detail: bad?.detail ?? null,
    suspectRange: bad?.suspectRange ?? null,
    keysPinned: pinned,
    streams,
    warnings,
  };
}
