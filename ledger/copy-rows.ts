import type { Database } from '../db/client';
import { CopyLineStream } from './copy-frames';
import type { CommittedEvent } from '../core/audit-event';
import { occurredAt, type Row } from './verify-rows';

/**
 * A stream's verification rows as PostgreSQL's COPY text format, cut into chunks of whole lines:
 * one statement, no row objects, the protocol frames stripped as the bytes arrive
 * (ledger/copy-frames.ts). The columns are those of
 * `pages()` in ledger/verify.ts, in the same order.
 */
export const copyRowsSql = (streamLiteral: string, afterSeq: number) => `COPY (
  SELECT e.seq, e.event_id, e.event_type, e.actor_type, e.actor_id,
         ((extract(epoch FROM e.occurred_at) * 1000000)::bigint)::text,
         e.resource_type, e.resource_id, e.action, e.outcome, e.subject_id, e.case_id, e.context,
         e.schema_version, e.idempotency_key, e.payload_digest, e.prev_hash, e.hash,
         p.salt, p.payload, (p.seq IS NULL AND EXISTS (SELECT 1 FROM ledger_payload_purge_of(e.stream, e.seq)))
    FROM ledger_events e
    LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq AND p.seq > ${afterSeq}
   WHERE e.stream = ${streamLiteral} AND e.seq > ${afterSeq}
   ORDER BY e.seq) TO STDOUT`;

/**
 * Sent before the COPY (one round trip): the rows must come out in seq order as the index holds
 * them, not sorted. Without statistics (a freshly loaded ledger) or with a large share of the
 * table, the planner otherwise sorts the whole range first (on disk beyond work_mem: 14 MB of
 * temp files for 20 000 events), so no row arrives before PostgreSQL has read them all and the
 * checking cannot overlap the read. With sorts and nested loops off, the plan is a merge join of
 * the two primary-key index scans, streaming from the first row (`copyRowsPlan` shows it).
 */
export const STREAMING_PLAN = 'BEGIN READ ONLY; SET LOCAL enable_sort = off; SET LOCAL enable_nestloop = off';

/**
 * The first chunk's size (chunks double from there up to `chunkBytes`): ~80 rows, so the
 * worker threads start checking ~5 ms sooner than after a first chunk of 1 MiB.
 */
export const FIRST_CHUNK_BYTES = 64 << 10;

/** Whole COPY lines (each ending in \n) and how many. */
export interface CopyChunk {
  buf: Buffer;
  rows: number;
}

/**
 * Streams the rows of `stream` after `afterSeq` in seq order, as chunks of about `chunkBytes`
 * holding whole lines, each the start of a buffer of its own (it may be transferred to a worker
 * thread; given back through `spare`, it is filled again). `sizeAt(offset)`, when given, sizes
 * the full-size chunk starting at byte `offset` of the COPY text (a smaller tail).
 */
export async function* copyChunks(
  db: Database,
  stream: string,
  afterSeq: number,
  chunkBytes = 1 << 20,
  spare: Buffer[] = [],
  sizeAt?: (offset: number) => number,
): AsyncGenerator<CopyChunk> {
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError(`bad seq ${afterSeq}`);
  const client = await db.$client.connect();
  let completed = false;
  try {
    await client.query(STREAMING_PLAN);
    const out = client.query(
      new CopyLineStream(
        copyRowsSql(client.escapeLiteral(stream), afterSeq),
        chunkBytes,
        spare,
        Math.min(chunkBytes, FIRST_CHUNK_BYTES),
        sizeAt,
      ),
    );
    for await (const buf of out as AsyncIterable<Buffer>) yield { buf, rows: countLines(buf) };
    await client.query('COMMIT');
    completed = true;
  } finally {
    // A COPY abandoned half-way (an error, or the caller stopped at a fault) leaves the
    // connection mid-protocol: close it instead of giving it back.
    client.release(completed ? undefined : true);
  }
}

/** Lines in a chunk of whole COPY lines. */
export function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

const UNESCAPE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** A text-format COPY field: null for `\N`, backslash escapes undone. */
function field(raw: string): string | null {
  if (raw === '\\N') return null;
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? c);
}

/** A bytea field (`\\x…` in text-format COPY). */
function bytes(raw: string): Buffer | null {
  if (raw === '\\N') return null;
  if (!raw.startsWith('\\\\x')) throw new TypeError('bytea column is not in hex format');
  return Buffer.from(raw.slice(3), 'hex');
}

/** A text-format COPY field (see `field`), for the chunk checker. */
export const copyField = field;

/** The committed event of a COPY line split at tabs: the `event` `toVerifyRow(stream, parseCopyLine(line))` gives. */
export function copyEvent(stream: string, f: string[]): CommittedEvent {
  const s = (i: number) => field(f[i] as string) as string;
  return {
    stream,
    seq: Number(f[0]),
    event_id: s(1),
    event_type: s(2),
    actor: { type: s(3) as CommittedEvent['actor']['type'], id: s(4) },
    occurred_at: occurredAt(s(5)),
    resource: { type: s(6), id: s(7) },
    action: s(8),
    outcome: s(9) as CommittedEvent['outcome'],
    subject_id: field(f[10] as string),
    case_id: field(f[11] as string),
    context: JSON.parse(s(12)) as Record<string, unknown>,
    schema_version: Number(f[13]),
    idempotency_key: s(14),
  };
}

/** One COPY line (without its \n) as the same tuple `pages()` yields. */
export function parseCopyLine(line: string): Row {
  const f = line.split('\t');
  if (f.length !== 21) throw new TypeError(`a verification row has 21 columns, got ${f.length}`);
  const s = (i: number) => field(f[i] as string) as string;
  const payload = field(f[19] as string);
  return [
    Number(f[0]),
    s(1),
    s(2),
    s(3),
    s(4),
    s(5),
    s(6),
    s(7),
    s(8),
    s(9),
    field(f[10] as string),
    field(f[11] as string),
    JSON.parse(s(12)) as Record<string, unknown>,
    Number(f[13]),
    s(14),
    bytes(f[15] as string) as Buffer,
    bytes(f[16] as string) as Buffer,
    bytes(f[17] as string) as Buffer,
    bytes(f[18] as string),
    payload === null ? null : (JSON.parse(payload) as unknown),
    f[20] === 't',
  ];
}
