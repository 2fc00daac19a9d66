import { isUtf8 } from 'node:buffer';
import { STREAM_NAME } from '../core/stream-name';
import { M, scanBundleLine } from './bundle-scan';
import { put, same, seqInto } from './bytes';
import { chunkNodesInPlace } from './chunk-nodes';
import { PURGE_EVENT_TYPE } from './purge-events';
import { sha256SpanEquals, sha256SpanInto } from './sha256-span';

/** The purge type as a JSON string (see BundleSegment.purgeLines). */
const PURGE_TYPE = Buffer.from(JSON.stringify(PURGE_EVENT_TYPE));

/**
 * What a run of consecutive `events.jsonl` lines of one stream proves on its own, like
 * ledger/verify-chunk.ts does for database rows (so chunks are checked in parallel): every line
 * is a well-formed canonical event, its hash recomputes from its own prev_hash, it links to the
 * line before, seqs are consecutive and every payload matches its digest or is marked purged.
 */
export interface BundleSegment {
  /** Lines `from .. to-1` of the chunk. */
  from: number;
  to: number;
  /** The stream of every line, or null for a dirty segment (read line by line; the verifier names the fault). */
  stream: string | null;
  firstSeq: number;
  firstPrev: Buffer;
  lastHash: Buffer;
  beforeLastHash: Buffer;
  /** Leaf hashes (32 bytes per line). */
  leaves: Buffer;
  /** Interior Merkle nodes over these leaves alone (ledger/chunk-nodes.ts). */
  nodes: Buffer;
  /** Seqs of lines without a payload and marked purged (the caller checks a signed purge covers them). */
  purgedSeqs: number[];
  /**
   * Where the lines whose `event_type` is the purge type lie in the chunk: `[start, end)` byte
   * pairs, flat (only those lines can be purge events; the caller parses them for its coverage).
   */
  purgeLines: number[];
  /** `occurred_at` of the first line, as text. */
  firstOccurred: string;
  rows: number;
}

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * The chunk checker's workspace (see checkBundleChunk), grown as needed: room for a chunk of
 * `cap` bytes and, at fixed places after it, what is written for hashing.
 */
let space: Buffer = EMPTY;
let cap = -1;
/** A segment of lines `from .. to-1` with nothing gathered yet (a dirty one: `stream` null and only the span). */
function newSegment(
  from: number,
  to: number,
  stream: string | null,
  firstSeq = 0,
  firstPrev = EMPTY,
  firstOccurred = '',
): BundleSegment {
  return {
    from,
    to,
    stream,
    firstSeq,
    firstPrev,
    lastHash: EMPTY,
    beforeLastHash: EMPTY,
    leaves: EMPTY,
    nodes: EMPTY,
    purgedSeqs: [],
    purgeLines: [],
    firstOccurred,
    rows: 0,
  };
}

/** The positive safe integer written in plain digits at `b[from..to)`, or 0. */
function digits(b: Buffer, from: number, to: number): number {
  if (to - from > 16 || to === from) return 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    if (c < 0x30 || c > 0x39) return 0;
    n = n * 10 + (c - 0x30);
  }
  return Number.isSafeInteger(n) ? n : 0;
}

/** Bytes of `,"name":` before a member's value. */
const head = (name: string) => name.length + 4;
const HEAD_HASH = head('hash');
const HEAD_IDEMPOTENCY = head('idempotency_key');
const HEAD_PAYLOAD = head('payload');
const HEAD_RESOURCE = head('resource');
const HEAD_SEQ = head('seq');
const HEAD_STREAM = head('stream');

/**
 * Cuts a chunk of whole lines into clean segments (one stream each) and, from the first line
 * that does not check out on its own, one dirty segment to the end. A chunk that is not valid
 * UTF-8 or holds a carriage return (readline splits there) is one dirty segment. Only a few
 * fixed buffers per chunk: the lines are never turned into strings or objects.
 */
export function checkBundleChunk(buf: Buffer): BundleSegment[] {
  const starts: number[] = [];
  for (let at = 0; at < buf.length;) {
    starts.push(at);
    const nl = buf.indexOf(10, at);
    at = nl === -1 ? buf.length : nl + 1;
  }
  const lines = starts.length;
  const segments: BundleSegment[] = [];
  const dirty = (from: number): BundleSegment[] => {
    if (from < lines) segments.push(newSegment(from, lines, null));
    return segments;
  };
  if (buf.includes(13) || !isUtf8(buf)) return dirty(0);
  // Their own allocations (never the shared pool): they are transferred.
  const leaves = Buffer.alloc(32 * lines);
  const nodes = Buffer.alloc(32 * lines);
  const spans = new Int32Array(2 * 20);
  const sp = (m: number, k: 0 | 1) => spans[2 * m + k] as number;
  // The lines are read from a copy in the workspace, next to what is written for hashing, so
  // that every copy is within one buffer (`put` uses copyWithin there). After the lines (room
  // for `cap` bytes): three leaf hash inputs `0x00 || hash` at LEAF (line i's at LEAF + 33 *
  // (i % 3); the segment's last two hashes stay where they were written, also while a third
  // line is scanned); payload_digest at DIGEST; the chain hash input at INPUT (prev_hash is
  // decoded there); the payload digest input at PAYLOAD (the salt is decoded there).
  const L = buf.length;
  if (cap < L) {
    cap = L + (L >> 2);
    space = Buffer.alloc(3 * cap + 256);
  }
  const LEAF = cap;
  const DIGEST = LEAF + 99;
  const INPUT = DIGEST + 32;
  const PAYLOAD = INPUT + cap + 80;
  const w = space;
  buf.copy(w, 0);
  w[LEAF] = w[LEAF + 33] = w[LEAF + 66] = 0;
  const hashAt = (line: number) => LEAF + 33 * (line % 3) + 1;
  const chainTo = Int32Array.of(0, INPUT, DIGEST, PAYLOAD);
  const copyOf = (at: number) => {
    const c = Buffer.alloc(32);
    w.copy(c, 0, at, at + 32);
    return c;
  };
  let seg: BundleSegment | null = null;
  let streamAt = 0;
  let streamLen = 0;
  // Where the next segment's Merkle nodes go in `nodes`.
  let o = 0;
  const close = (to: number) => {
    if (!seg) return;
    seg.to = to;
    seg.rows = to - seg.from;
    seg.leaves = leaves.subarray(32 * seg.from, 32 * to);
    seg.nodes = chunkNodesInPlace(seg.leaves, seg.firstSeq - 1, nodes, o);
    o += seg.nodes.length;
    seg.lastHash = copyOf(hashAt(to - 1));
    seg.beforeLastHash = seg.rows > 1 ? copyOf(hashAt(to - 2)) : seg.firstPrev;
    segments.push(seg);
    seg = null;
  };
  for (let i = 0; i < lines; i++) {
    const start = starts[i] as number;
    const end = i + 1 < lines ? (starts[i + 1] as number) - 1 : buf[L - 1] === 10 ? L - 1 : L;
    // The scan also writes hash, prev_hash, payload_digest and salt (checked hex) where they are hashed.
    chainTo[0] = hashAt(i);
    if (!scanBundleLine(w, start, end, spans, w, chainTo)) return (close(i), dirty(i));
    const s0 = sp(M.stream, 0) + 1;
    const sLen = sp(M.stream, 1) - s0 - 1;
    const seq = digits(w, sp(M.seq, 0), sp(M.seq, 1));
    const saltNull = w[sp(M.payload_salt, 0)] === 0x6e;
    const payloadNull = w[sp(M.payload, 0)] === 0x6e;
    const purged = w[sp(M.payload_purged, 0)];
    const wellFormed =
      w[s0 - 1] === 0x22 &&
      seq > 0 &&
      (payloadNull || w[sp(M.payload, 0)] === 0x7b) &&
      (purged === 0x74 || purged === 0x66);
    if (!wellFormed) return (close(i), dirty(i));
    if (seg && !(sLen === streamLen && same(w, s0, w, streamAt, sLen))) close(i);
    else if (seg && (seq !== seg.firstSeq + (i - seg.from) || !same(w, INPUT, w, hashAt(i - 1), 32)))
      return (close(i), dirty(i));
    let stream: string = seg?.stream ?? '';
    if (!seg) {
      stream = w.toString('latin1', s0, s0 + sLen);
      if (!STREAM_NAME.test(stream)) return dirty(i);
    }
    // hash = SHA-256(prev_hash || seq as u64 big-endian || envelope || payload_digest), as
    // chainHash; the envelope is the line without the chain, payload and seq members, which
    // sort into four runs between the envelope members.
    seqInto(seq, w, INPUT + 32);
    let n = INPUT + 40;
    n = put(w, start, sp(M.hash, 0) - HEAD_HASH - start, w, n);
    n = put(
      w,
      sp(M.idempotency_key, 0) - HEAD_IDEMPOTENCY,
      sp(M.payload, 0) - HEAD_PAYLOAD - (sp(M.idempotency_key, 0) - HEAD_IDEMPOTENCY),
      w,
      n,
    );
    n = put(
      w,
      sp(M.resource, 0) - HEAD_RESOURCE,
      sp(M.seq, 0) - HEAD_SEQ - (sp(M.resource, 0) - HEAD_RESOURCE),
      w,
      n,
    );
    n = put(w, sp(M.stream, 0) - HEAD_STREAM, end - (sp(M.stream, 0) - HEAD_STREAM), w, n);
    n = put(w, DIGEST, 32, w, n);
    let ok = sha256SpanEquals(w, INPUT, n, w, chainTo[0] as number);
    if (ok && !payloadNull) {
      // SHA-256(salt || canonical payload), as payloadDigest.
      const p0 = sp(M.payload, 0);
      const p1 = sp(M.payload, 1);
      put(w, p0, p1 - p0, w, PAYLOAD + 16);
      ok = !saltNull && sha256SpanEquals(w, PAYLOAD, PAYLOAD + 16 + p1 - p0, w, DIGEST);
    } else if (ok) ok = purged === 0x74;
    if (!ok) return (close(i), dirty(i));
    if (!seg) {
      seg = newSegment(
        i,
        i,
        stream,
        seq,
        copyOf(INPUT),
        String(JSON.parse(w.toString('utf8', sp(M.occurred_at, 0), sp(M.occurred_at, 1)))),
      );
      streamAt = s0;
      streamLen = sLen;
    }
    if (payloadNull) seg.purgedSeqs.push(seq);
    // A canonical line writes the purge type's string only one way.
    const t0 = sp(M.event_type, 0);
    if (sp(M.event_type, 1) - t0 === PURGE_TYPE.length && same(w, t0, PURGE_TYPE, 0, PURGE_TYPE.length))
      seg.purgeLines.push(start, end);
    // Leaf hash SHA-256(0x00 || hash), as leafHash.
    const leafIn = LEAF + 33 * (i % 3);
    sha256SpanInto(w, leafIn, leafIn + 33, leaves, 32 * i);
  }
  close(lines);
  return segments;
}
