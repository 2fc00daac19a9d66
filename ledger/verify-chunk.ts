import { isUtf8 } from 'node:buffer';
import { canonicalJson } from '../core/canonical-json';
import { canonicalEnvelope } from '../core/hash-chain';
import { same, seqInto } from './bytes';
import { hexWithin, move, plainEnd, sameWithin } from './span-bytes';
import { sha256SpanEquals, sha256SpanInto } from './sha256-span';
import { copyEvent, copyField, countLines } from './copy-rows';
import { chunkNodesInPlace } from './chunk-nodes';
import { jsonbValueEnd, jsonbValueInto } from './jsonb-canonical';
import { occurredAt } from './verify-rows';
import { NATIVE_MISSING, nativeModule, type NativeModule } from './native-module';

/**
 * What a chunk of consecutive rows proves on its own (no chain state needed, so chunks are
 * checked in parallel): every row's hash recomputes from its own stored prev_hash, every row
 * links to the one before it in the chunk, seqs are consecutive, and every payload matches its
 * digest or is absent under a purge record. The caller links the chunk to the chain (first
 * row's seq and prev_hash) and folds the leaves into the Merkle range.
 */
export interface ChunkResult {
  /** True when every row passed; false sends the chunk through the row-by-row verifier, which names the fault. */
  clean: boolean;
  rows: number;
  firstSeq: number;
  firstPrev: Buffer;
  /** Stored hashes of the last two rows (the chain's prev and prev-prev after this chunk). */
  lastHash: Buffer;
  beforeLastHash: Buffer;
  /** Leaf hashes (32 bytes per row). */
  leaves: Buffer;
  /** Interior Merkle nodes over these leaves alone (ledger/chunk-nodes.ts). */
  nodes: Buffer;
  /** Seqs of rows accepted without a payload because they are marked purged (the caller checks their proof). */
  purgedSeqs: number[];
}

const EMPTY: Buffer = Buffer.alloc(0);

/** Writes the 32- (or 16-) byte bytea field `raw` (`\\x` + hex) at `out[at]`; false when it is not one. */
function byteaInto(raw: string, n: number, out: Buffer, at: number): boolean {
  return raw.length === 3 + 2 * n && raw.startsWith('\\\\x') && out.write(raw.slice(3), at, n, 'hex') === n;
}

/** The same for the bytea field at `b[p]` of a COPY line, which must end in a tab, into `b[at..)`: false when it is not one. */
function byteaBytesInto(b: Buffer, p: number, n: number, at: number): boolean {
  return (
    b[p] === 0x5c &&
    b[p + 1] === 0x5c &&
    b[p + 2] === 0x78 &&
    b[p + 3 + 2 * n] === TAB &&
    hexWithin(b, p + 3, n, at)
  );
}

const ascii = (s: string) => Buffer.from(s, 'latin1');
/** The envelope's fixed text around its fields, in canonical member order. */
const P = {
  action: ascii('{"action":'),
  actorId: ascii(',"actor":{"id":'),
  actorType: ascii(',"type":'),
  caseId: ascii('},"case_id":'),
  context: ascii(',"context":'),
  eventId: ascii(',"event_id":'),
  eventType: ascii(',"event_type":'),
  idempotency: ascii(',"idempotency_key":'),
  occurred: ascii(',"occurred_at":'),
  outcome: ascii(',"outcome":'),
  resourceId: ascii(',"resource":{"id":'),
  resourceType: ascii(',"type":'),
  schema: ascii('},"schema_version":'),
  stream: ascii(',"stream":'),
  subject: ascii(',"subject_id":'),
};
const NULL = ascii('null');
const TAB = 0x09;
const QUOTE_BYTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Text fields 1-11 and 14 of the line being read: field k is `b[from[k]..to[k])`, `to[k]` = -1
 * for a null (`\N`). Only fields whose bytes JSON.stringify writes back unchanged between
 * quotes are recorded: no `"`, no backslash (COPY's escape character), no control byte (valid
 * UTF-8 is checked per chunk; JSON.stringify escapes nothing else in it).
 */
const from = new Int32Array(15);
const to = new Int32Array(15);

/** Records the plain text field at `b[p]` as field `k` (null allowed when `nullable`); returns the index after its tab, or -1. */
function textField(b: Buffer, p: number, k: number, nullable: boolean): number {
  from[k] = p;
  if (nullable && b[p] === BACKSLASH && b[p + 1] === 0x4e && b[p + 2] === TAB) {
    to[k] = -1;
    return p + 3;
  }
  // The line's \n (a control byte) stops the scan at the latest.
  p = plainEnd(b, p, b.length);
  if (b[p] !== TAB) return -1;
  to[k] = p;
  return p + 1;
}

/**
 * Writes the fixed text `pre` (an [offset, length] of the workspace `out`, see `workspace`) and
 * text field `k` as a JSON string (or null) to `out[o..)`; returns the end.
 */
function member(pre: Fixed, b: Buffer, k: number, out: Buffer, o: number): number {
  o = move(out, pre[0], pre[1], out, o);
  const f = from[k] as number;
  const t = to[k] as number;
  if (t < 0) return move(NULL, 0, 4, out, o);
  out[o++] = QUOTE_BYTE;
  o = move(b, f, t - f, out, o);
  out[o++] = QUOTE_BYTE;
  return o;
}

/** Index of the tab after the run of ASCII digits at `b[p]`; -1 when there is none, the run is empty or longer than `max` digits. */
function digitsField(b: Buffer, p: number, max = 15): number {
  const p0 = p;
  while ((b[p] as number) >= 0x30 && (b[p] as number) <= 0x39) p++;
  return b[p] === TAB && p > p0 && p - p0 <= max ? p : -1;
}

/** Where each piece of {@link P} lies at the start of the workspace: [offset, length]. */
type Fixed = readonly [number, number];
const pre = {} as Record<keyof typeof P, Fixed>;
let fixedEnd = 0;
for (const [k, b] of Object.entries(P)) {
  pre[k as keyof typeof P] = [fixedEnd, b.length];
  fixedEnd += b.length;
}
/** The fixed text, written at the start of every workspace. */
const FIXED = Buffer.concat(Object.values(P));

let stringCache = '';
let streamJson: Buffer = EMPTY;
let occurredLen = -1;
let occurredBuf: Buffer = Buffer.alloc(64);
let occurredJson: Buffer = EMPTY;
/** Where `occurredJson` and `streamJson` are kept in the workspace (see `keep`), -1 when not. */
let occurredKept = -1;
let streamKept = -1;

/** What {@link readLine} found besides the envelope: seq, end of the canonical payload (-1: none), salt, purge flag, the line's \n. */
let lineSeq = 0;
let lineEnd = -1;
let linePayloadEnd = -1;
let lineHasSalt = false;
let linePurged = false;

/**
 * Reads the COPY line at `b[start]` (ending at the first \n, before `limit`; its index is then
 * `lineEnd`) from its bytes in one pass: hash,
 * prev_hash, payload_digest and salt decoded into `b` at `rowAt` (+0, 32, 64, 96), the canonical envelope
 * written to `out` from `envAt` and the canonical payload to `payloadOut` from `payAt` (the
 * bytes after each may be used as scratch: see jsonbValueInto). Returns the
 * envelope's end: the same bytes as `canonicalEnvelope(copyEvent(stream, f))` and
 * `canonicalJson(JSON.parse(payload))` for the lines it accepts (plain strings, canonical jsonb
 * per ledger/jsonb-canonical.ts, plain digits in seq, schema_version and occurred_at), -1 for
 * any other line (the caller takes the reference path).
 */
function readLine(
  b: Buffer,
  start: number,
  limit: number,
  stream: string,
  rowAt: number,
  out: Buffer,
  envAt: number,
  payloadOut: Buffer,
  payAt: number,
): number {
  let p = digitsField(b, start);
  if (p < 0) return -1;
  // At most 15 digits (digitsField): exact in a double, as Number(text) is.
  let seq = 0;
  for (let i = start; i < p; i++) seq = seq * 10 + ((b[i] as number) - 0x30);
  lineSeq = seq;
  p++;
  for (let k = 1; k <= 11 && p >= 0; k++) p = textField(b, p, k, k >= 10);
  if (p < 0) return -1;
  // occurred_at: microseconds in plain digits, formatted once per distinct value (an append batch shares one).
  const m0 = from[5] as number;
  const m1 = to[5] as number;
  if (digitsField(b, m0, Infinity) !== m1) return -1;
  if (m1 - m0 !== occurredLen || !same(b, m0, occurredBuf, 0, m1 - m0)) {
    occurredJson = Buffer.from(JSON.stringify(occurredAt(b.toString('latin1', m0, m1))), 'utf8');
    occurredKept = keep(occurredJson, 0);
    if (occurredBuf.length < m1 - m0) occurredBuf = Buffer.alloc(2 * (m1 - m0));
    b.copy(occurredBuf, 0, m0, m1);
    occurredLen = m1 - m0;
  }
  if (stream !== stringCache) {
    stringCache = stream;
    streamJson = Buffer.from(JSON.stringify(stream), 'utf8');
    streamKept = keep(streamJson, 1);
  }
  let o = member(pre.action, b, 8, out, envAt);
  o = member(pre.actorId, b, 4, out, o);
  o = member(pre.actorType, b, 3, out, o);
  o = member(pre.caseId, b, 11, out, o);
  o = move(out, pre.context[0], pre.context[1], out, o);
  // Bounded by the chunk, not the line: no value, field or separator the reader accepts holds a
  // \n (a control byte), so none reads past this line's end.
  o = jsonbValueInto(b, p, limit, out, o);
  if (o < 0) return -1;
  p = jsonbValueEnd();
  if (b[p] !== TAB) return -1;
  // schema_version: plain digits without a leading zero.
  const v0 = p + 1;
  const v1 = digitsField(b, v0);
  if (v1 < 0 || (b[v0] === 0x30 && v1 - v0 > 1)) return -1;
  p = textField(b, v1 + 1, 14, false);
  if (p < 0) return -1;
  o = member(pre.eventId, b, 1, out, o);
  o = member(pre.eventType, b, 2, out, o);
  o = member(pre.idempotency, b, 14, out, o);
  o = move(out, pre.occurred[0], pre.occurred[1], out, o);
  o =
    occurredKept >= 0
      ? move(out, occurredKept, occurredJson.length, out, o)
      : move(occurredJson, 0, occurredJson.length, out, o);
  o = member(pre.outcome, b, 9, out, o);
  o = member(pre.resourceId, b, 7, out, o);
  o = member(pre.resourceType, b, 6, out, o);
  o = move(out, pre.schema[0], pre.schema[1], out, o);
  o = move(b, v0, v1 - v0, out, o);
  o = move(out, pre.stream[0], pre.stream[1], out, o);
  o =
    streamKept >= 0
      ? move(out, streamKept, streamJson.length, out, o)
      : move(streamJson, 0, streamJson.length, out, o);
  o = member(pre.subject, b, 10, out, o);
  out[o++] = 0x7d;
  // payload_digest, prev_hash, hash, salt.
  if (!byteaBytesInto(b, p, 32, rowAt + 64)) return -1;
  p += 68;
  if (!byteaBytesInto(b, p, 32, rowAt + 32)) return -1;
  p += 68;
  if (!byteaBytesInto(b, p, 32, rowAt)) return -1;
  p += 68;
  lineHasSalt = !(b[p] === BACKSLASH && b[p + 1] === 0x4e && b[p + 2] === TAB);
  if (!lineHasSalt) p += 3;
  else if (byteaBytesInto(b, p, 16, rowAt + 96)) p += 36;
  else return -1;
  if (b[p] === BACKSLASH && b[p + 1] === 0x4e && b[p + 2] === TAB) {
    linePayloadEnd = -1;
    p += 3;
  } else {
    linePayloadEnd = jsonbValueInto(b, p, limit, payloadOut, payAt);
    if (linePayloadEnd < 0) return -1;
    p = jsonbValueEnd();
    if (b[p] !== TAB) return -1;
    p++;
  }
  if (p + 1 >= limit || b[p + 1] !== 10 || (b[p] !== 0x74 && b[p] !== 0x66)) return -1;
  lineEnd = p + 1;
  linePurged = b[p] === 0x74;
  return o;
}

/** Room for a line's envelope beyond the line's own bytes (member names, stream, timestamp). */
const ENVELOPE_EXTRA = 512;

/**
 * One buffer holding a chunk's bytes and everything the byte path writes, so that its copies
 * (fixed text and fields into the envelope, jsonb members into order, chain fields into hash
 * inputs) are within one buffer (`move` copies short runs by words there, longer ones by `copyWithin`). Layout: the envelope's fixed
 * text (`pre`) and the last `occurred_at` and stream JSON (`keep`) from 0; the chunk at `at`; the row's hash,
 * prev_hash, payload_digest, salt at `row` (112 bytes); the leaf hash input at `leaf` (33: 0x00 and
 * the last row's hash); the chain hash input at `env` (prev_hash, seq,
 * envelope from `env + 40`); the payload digest input at `pay` (salt, payload from `pay + 16`);
 * then free room for jsonb's reordering.
 */
interface Workspace {
  w: Buffer;
  at: number;
  row: number;
  leaf: number;
  env: number;
  pay: number;
  /** A view of the row region. */
  rowView: Buffer;
}

/** Bytes at the start of the workspace for the fixed text and two kept values (see `keep`). */
const KEPT = 256;
const HEAD_BYTES = fixedEnd + 2 * KEPT;

let space: Buffer = EMPTY;

/** Copies `json` to the workspace's slot `slot` and returns where, or -1 when it does not fit (it is then copied from itself). */
function keep(json: Buffer, slot: 0 | 1): number {
  if (space.length < HEAD_BYTES || json.length > KEPT) return -1;
  const at = fixedEnd + slot * KEPT;
  json.copy(space, at);
  return at;
}

function workspace(len: number, stream: string): Workspace {
  const at = HEAD_BYTES;
  const row = at + len;
  const leaf = row + 112;
  const env = leaf + 33;
  // A line is at most `len` bytes: its envelope and payload fit these regions.
  const pay = env + 72 + len + ENVELOPE_EXTRA + 6 * stream.length;
  const size = pay + 2 * (16 + len);
  if (space.length < size) {
    space = Buffer.alloc(size + (size >> 2));
    FIXED.copy(space, 0);
    // The kept values are written into the new workspace on their next use.
    stringCache = '';
    occurredLen = -1;
  }
  const w = space;
  return {
    w,
    at,
    row,
    leaf,
    env,
    pay,
    rowView: w.subarray(row, row + 112),
  };
}

/**
 * The byte path's reading of one COPY line (without its \n), for tests that compare it with the
 * reference path: the envelope and canonical payload it would hash, or null where it leaves the
 * line to the reference path. `line` must be valid UTF-8 (the chunk checker checks per chunk).
 * It runs in the same workspace layout as {@link checkChunk}.
 */
export function copyLineBytes(
  stream: string,
  line: Buffer,
): { seq: number; envelope: Buffer; payload: Buffer | null; purged: boolean } | null {
  const s = workspace(line.length + 1, stream);
  line.copy(s.w, s.at);
  s.w[s.at + line.length] = 10;
  const n = readLine(s.w, s.at, s.at + line.length + 1, stream, s.row, s.w, s.env + 40, s.w, s.pay + 16);
  if (n < 0 || lineEnd !== s.at + line.length) return null;
  return {
    seq: lineSeq,
    envelope: Buffer.from(s.w.subarray(s.env + 40, n)),
    payload: linePayloadEnd < 0 ? null : Buffer.from(s.w.subarray(s.pay + 16, linePayloadEnd)),
    purged: linePurged,
  };
}

/** A copy with its own ArrayBuffer (never a slice of the shared pool: results are posted to the main thread). */
const own = (b: Buffer): Buffer => {
  const c = Buffer.alloc(b.length);
  b.copy(c);
  return c;
};

/** Verdicts of the native byte path (ledger/native/copy-chunk.h). */
const NATIVE_DIRTY = 0;
const NATIVE_CLEAN = 1;

/** Known answers the native jsonb reader must give before the native checker is used. */
function nativePassesSelfTest(m: NativeModule): boolean {
  const src = Buffer.from('{"bb": 1, "a": [true, null, "x", -0.5], "c": {"z": {}, "y": []}}');
  const out = Buffer.alloc(src.length);
  const n = m.jsonbCanonical(src, 0, src.length, out);
  const refused = Buffer.from('{"a": 1.50}');
  return (
    out.toString('utf8', 0, Math.max(0, n)) === '{"a":[true,null,"x",-0.5],"bb":1,"c":{"y":[],"z":{}}}' &&
    m.jsonbCanonical(refused, 0, refused.length, out) === -1
  );
}

const nativeChecker: NativeModule['checkCopyChunk'] | null =
  nativeModule !== null && nativePassesSelfTest(nativeModule) ? nativeModule.checkCopyChunk : null;
let nativeOn = nativeChecker !== null;

/** Which byte path {@link checkChunk} tries first: the native one (ledger/native/copy-chunk.c) when it loaded. */
export const chunkCheckerImplementation = (): 'native' | 'typescript' => (nativeOn ? 'native' : 'typescript');

/** Switches byte path (for the tests that compare them); throws when the native one is asked for and did not load. */
export function useChunkChecker(impl: 'native' | 'typescript'): void {
  if (impl === 'native' && nativeChecker === null) throw new Error(NATIVE_MISSING);
  nativeOn = impl === 'native';
}

/** The native checker's meta output on this thread (first seq, first prev_hash, last hash, the one before, node bytes). */
const META = Buffer.alloc(112);
let jsonOfStream = '';
let streamJsonBytes: Buffer = EMPTY;

/** JSON.stringify(stream) as UTF-8 (the last one is kept: chunks come a stream at a time). */
function streamJsonOf(stream: string): Buffer {
  if (stream !== jsonOfStream) {
    jsonOfStream = stream;
    streamJsonBytes = Buffer.from(JSON.stringify(stream), 'utf8');
  }
  return streamJsonBytes;
}

/**
 * Checks a chunk of whole COPY lines of `stream`. Never throws on bad data: it reports
 * `clean: false`. The native byte path (ledger/native/copy-chunk.c, the same reading in C for
 * the common subset) answers first where it is built; otherwise, or when a line is outside its
 * subset, each line is read from its bytes (copied once into the workspace): chain
 * fields decoded, the envelope and the canonical payload written next to them
 * (ledger/jsonb-canonical.ts) and hashed one-shot. A line outside what that byte path can prove
 * identical goes through the reference path instead (decoded, `JSON.parse`,
 * `canonicalEnvelope`, `canonicalJson`).
 */
export function checkChunk(stream: string, buf: Buffer): ChunkResult {
  const lines = countLines(buf);
  // A line that is not valid UTF-8 would not hash as the decoded text does: reference path only.
  const bytePath = isUtf8(buf);
  const leaves = Buffer.alloc(32 * lines); // never from the shared pool: it is transferred
  if (bytePath && nativeOn) {
    const nodes = Buffer.alloc(leaves.length); // transferred too
    const verdict = (nativeChecker as NativeModule['checkCopyChunk'])(
      buf,
      streamJsonOf(stream),
      leaves,
      nodes,
      META,
    );
    const r = nativeResult(verdict, lines, leaves, nodes, META);
    if (r) return r;
  }
  return checkInTypeScript(stream, buf, lines, bytePath, leaves);
}

/**
 * {@link checkChunk} with the native byte path run on libuv's thread pool (no isolate, no
 * copy, no structured clone), so this thread reads on meanwhile; without the native checker, or
 * for a chunk outside its subset, it is checkChunk on this thread. The chunk must not be changed
 * or transferred before the promise settles.
 */
export async function checkChunkBeside(stream: string, buf: Buffer): Promise<ChunkResult> {
  if (!nativeOn || !isUtf8(buf)) return checkChunk(stream, buf);
  const lines = countLines(buf);
  const leaves = Buffer.alloc(32 * lines);
  const nodes = Buffer.alloc(leaves.length);
  const meta = Buffer.alloc(META.length);
  const check = (nativeModule as NativeModule).checkCopyChunkAsync;
  const verdict = await check(buf, streamJsonOf(stream), leaves, nodes, meta);
  return (
    nativeResult(verdict, lines, leaves, nodes, meta) ?? checkInTypeScript(stream, buf, lines, true, leaves)
  );
}

/** What a chunk's result is when it did not check out (the caller takes it row by row). */
const dirtyResult = (rows: number): ChunkResult => ({
  clean: false,
  rows,
  firstSeq: 0,
  firstPrev: EMPTY,
  lastHash: EMPTY,
  beforeLastHash: EMPTY,
  leaves: EMPTY,
  nodes: EMPTY,
  purgedSeqs: [],
});

/** The result of a native verdict; null when the chunk is outside the native subset. */
function nativeResult(
  verdict: number,
  lines: number,
  leaves: Buffer,
  nodes: Buffer,
  meta: Buffer,
): ChunkResult | null {
  if (verdict === NATIVE_DIRTY) return dirtyResult(lines);
  if (verdict !== NATIVE_CLEAN) return null;
  return {
    clean: true,
    rows: lines,
    firstSeq: meta.readDoubleLE(0),
    firstPrev: own(meta.subarray(8, 40)),
    lastHash: own(meta.subarray(40, 72)),
    beforeLastHash: own(meta.subarray(72, 104)),
    leaves,
    nodes: nodes.subarray(0, meta.readDoubleLE(104)),
    purgedSeqs: [],
  };
}

/** The TypeScript byte path (and its reference path per line) over every line of the chunk. */
function checkInTypeScript(
  stream: string,
  buf: Buffer,
  lines: number,
  bytePath: boolean,
  leaves: Buffer,
): ChunkResult {
  const dirty = dirtyResult;
  const s = workspace(buf.length, stream);
  const w = s.w;
  buf.copy(w, s.at);
  const ROW = s.row;
  w[s.leaf] = 0;
  // The reference path's hash inputs (grown as needed).
  let refIn = EMPTY;
  let refPay = EMPTY;
  let firstSeq = 0;
  let firstPrev: Buffer = EMPTY;
  const purgedSeqs: number[] = [];
  let start = s.at;
  try {
    for (let i = 0; i < lines; i++) {
      let end = -1;
      // Chain hash input in `eb[e0..n)` (envelope from e0 + 40), payload digest input in `pb[p0..m)` (m = -1: none).
      let eb = w;
      let e0 = s.env;
      let pb = w;
      let p0 = s.pay;
      let seq = 0;
      let n = -1;
      let m = -1;
      let hasSalt = false;
      let purgedFlag = false;
      if (bytePath) {
        n = readLine(w, start, s.at + buf.length, stream, ROW, w, e0 + 40, w, p0 + 16);
        end = lineEnd;
        seq = lineSeq;
        m = linePayloadEnd;
        hasSalt = lineHasSalt;
        purgedFlag = linePurged;
      }
      if (n < 0) {
        // The reference path, on the line's text.
        end = w.indexOf(10, start);
        const row = s.rowView;
        const f = w.toString('utf8', start, end).split('\t');
        if (f.length !== 21) return dirty(lines);
        seq = Number(f[0]);
        if (
          !byteaInto(f[15] as string, 32, row, 64) ||
          !byteaInto(f[16] as string, 32, row, 32) ||
          !byteaInto(f[17] as string, 32, row, 0)
        )
          return dirty(lines);
        hasSalt = f[18] !== '\\N';
        if (hasSalt && !byteaInto(f[18] as string, 16, row, 96)) return dirty(lines);
        const envelope = canonicalEnvelope(copyEvent(stream, f));
        if (refIn.length < 72 + 3 * envelope.length) refIn = Buffer.alloc(2 * (72 + 3 * envelope.length));
        eb = refIn;
        e0 = 0;
        n = 40 + refIn.write(envelope, 40, 'utf8');
        const payload = copyField(f[19] as string);
        if (payload !== null) {
          const canonical = canonicalJson(JSON.parse(payload));
          if (refPay.length < 16 + 3 * canonical.length)
            refPay = Buffer.alloc(2 * (16 + 3 * canonical.length));
          pb = refPay;
          p0 = 0;
          m = 16 + refPay.write(canonical, 16, 'utf8');
        } else m = -1;
        purgedFlag = f[20] === 't';
      }
      if (i === 0) firstSeq = seq;
      // The previous row's stored hash is still in the leaf input.
      else if (seq !== firstSeq + i || !sameWithin(w, ROW + 32, s.leaf + 1, 32)) return dirty(lines);
      // hash = SHA-256(prev_hash || seq as u64 big-endian || envelope || payload_digest), as chainHash.
      move(w, ROW + 32, 32, eb, e0);
      seqInto(seq, eb, e0 + 32);
      n = move(w, ROW + 64, 32, eb, n);
      if (!sha256SpanEquals(eb, e0, n, w, ROW)) return dirty(lines);
      if (m >= 0) {
        // SHA-256(salt || canonical payload), as payloadDigest.
        if (!hasSalt) return dirty(lines);
        move(w, ROW + 96, 16, pb, p0);
        if (!sha256SpanEquals(pb, p0, m, w, ROW + 64)) return dirty(lines);
      } else if (!purgedFlag) return dirty(lines);
      else purgedSeqs.push(seq);
      // Leaf hash SHA-256(0x00 || hash), as leafHash.
      move(w, ROW, 32, w, s.leaf + 1);
      sha256SpanInto(w, s.leaf, s.leaf + 33, leaves, 32 * i);
      if (i === 0) firstPrev = own(w.subarray(ROW + 32, ROW + 64));
      start = end + 1;
    }
  } catch {
    return dirty(lines);
  }
  return {
    clean: lines > 0,
    rows: lines,
    firstSeq,
    firstPrev,
    // The last row's hash and prev_hash: the chain's last two hashes (the rows are linked).
    lastHash: own(w.subarray(ROW, ROW + 32)),
    beforeLastHash: lines > 1 ? own(w.subarray(ROW + 32, ROW + 64)) : firstPrev,
    leaves,
    nodes: lines > 0 ? chunkNodesInPlace(leaves, firstSeq - 1) : EMPTY,
    purgedSeqs,
  };
}
