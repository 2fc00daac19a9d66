import { isUtf8 } from 'node:buffer';
import { canonicalJson } from '../core/canonical-json';
import { canonicalEnvelope } from '../core/hash-chain';
import { hexInto, put, same, sha256Equals, sha256Into } from './bytes';
import { copyEvent, copyField, countLines } from './copy-rows';
import { jsonbToCanonical } from './jsonb-canonical';
import { occurredAt } from './verify-rows';

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
  /** Seqs of rows accepted without a payload because they are marked purged (the caller checks their proof). */
  purgedSeqs: number[];
}

const EMPTY: Buffer = Buffer.alloc(0);

/** Writes the 32- (or 16-) byte bytea field `raw` (`\\x` + hex) at `out[at]`; false when it is not one. */
function byteaInto(raw: string, n: number, out: Buffer, at: number): boolean {
  return raw.length === 3 + 2 * n && raw.startsWith('\\\\x') && out.write(raw.slice(3), at, n, 'hex') === n;
}

/** The same from the bytes `b[from..to)` of a COPY line. */
function byteaBytesInto(b: Buffer, from: number, to: number, n: number, out: Buffer, at: number): boolean {
  return (
    to - from === 3 + 2 * n &&
    b[from] === 0x5c &&
    b[from + 1] === 0x5c &&
    b[from + 2] === 0x78 &&
    hexInto(b, from + 3, n, out, at)
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

/**
 * Column positions of one COPY line: field k is `b[at[k]..at[k+1]-1)`. Bit k of `unescaped`: the
 * field holds no backslash (COPY's escape character) and no control byte; of `unquoted`: no `"`.
 */
const at = new Int32Array(22);
let unescaped = 0;
let unquoted = 0;

/** Splits the COPY line `b[start..end)` at tabs into {@link at}; false unless it has 21 fields. */
function splitLine(b: Buffer, start: number, end: number): boolean {
  let k = 0;
  at[0] = start;
  unescaped = 0;
  unquoted = 0;
  let noEscape = true;
  let noQuote = true;
  for (let i = start; i < end; i++) {
    const c = b[i] as number;
    if (c > QUOTE_BYTE && c !== 0x5c) continue;
    if (c === QUOTE_BYTE) noQuote = false;
    else if (c === 0x09) {
      if (noEscape) unescaped |= 1 << k;
      if (noQuote) unquoted |= 1 << k;
      if (++k > 20) return false;
      at[k] = i + 1;
      noEscape = true;
      noQuote = true;
    } else if (c < 0x20 || c === 0x5c) noEscape = false;
  }
  if (k !== 20) return false;
  if (noEscape) unescaped |= 1 << 20;
  if (noQuote) unquoted |= 1 << 20;
  at[21] = end + 1;
  return true;
}
const QUOTE_BYTE = 0x22;

/** A jsonb field whose COPY text is its JSON text (no COPY escape in it). */
const isUnescaped = (k: number) => (unescaped & (1 << k)) !== 0;
/**
 * A text field that JSON.stringify writes as its own bytes between quotes: no `"`, `\` or control
 * character (valid UTF-8 is checked per chunk; JSON.stringify escapes nothing else in it).
 */
const isPlain = (k: number) => (unescaped & unquoted & (1 << k)) !== 0;

let stringCache = '';
let streamJson: Buffer = EMPTY;
let occurredLen = -1;
let occurredBuf: Buffer = Buffer.alloc(64);
let occurredJson: Buffer = EMPTY;

/**
 * The canonical envelope of the COPY line whose fields are in {@link at}, written straight from
 * the line's bytes to `out` from `o`: the same bytes as `canonicalEnvelope(copyEvent(stream, f))`
 * for the lines it accepts (plain strings, canonical context, plain digits in schema_version and
 * occurred_at), -1 for any other line (the caller takes the reference path).
 */
function envelopeInto(b: Buffer, stream: string, out: Buffer, o: number): number {
  const str = (k: number, prefix: Buffer): boolean => {
    if (!isPlain(k)) return false;
    o = put(prefix, 0, prefix.length, out, o);
    out[o++] = QUOTE_BYTE;
    o = put(b, at[k] as number, (at[k + 1] as number) - 1 - (at[k] as number), out, o);
    out[o++] = QUOTE_BYTE;
    return true;
  };
  const nullable = (k: number, prefix: Buffer): boolean => {
    const a = at[k] as number;
    if ((at[k + 1] as number) - a === 3 && b[a] === 0x5c && b[a + 1] === 0x4e) {
      o = put(prefix, 0, prefix.length, out, o);
      o = put(NULL, 0, 4, out, o);
      return true;
    }
    return str(k, prefix);
  };
  if (stream !== stringCache) {
    stringCache = stream;
    streamJson = Buffer.from(JSON.stringify(stream), 'utf8');
  }
  // occurred_at: formatted once per distinct timestamp (an append batch shares one).
  const m0 = at[5] as number;
  const m1 = (at[6] as number) - 1;
  if (!isPlain(5) || !digitsOnly(b, m0, m1)) return -1;
  if (m1 - m0 !== occurredLen || !same(b, m0, occurredBuf, 0, m1 - m0)) {
    occurredJson = Buffer.from(JSON.stringify(occurredAt(b.toString('latin1', m0, m1))), 'utf8');
    if (occurredBuf.length < m1 - m0) occurredBuf = Buffer.alloc(2 * (m1 - m0));
    b.copy(occurredBuf, 0, m0, m1);
    occurredLen = m1 - m0;
  }
  const v0 = at[13] as number;
  const v1 = (at[14] as number) - 1;
  if (!isPlain(13) || !digitsOnly(b, v0, v1) || (b[v0] === 0x30 && v1 - v0 > 1) || v1 - v0 > 15) return -1;
  if (!str(8, P.action) || !str(4, P.actorId) || !str(3, P.actorType) || !nullable(11, P.caseId)) return -1;
  o = put(P.context, 0, P.context.length, out, o);
  if (!isUnescaped(12)) return -1;
  o = jsonbToCanonical(b, at[12] as number, (at[13] as number) - 1, out, o);
  if (o < 0) return -1;
  if (!str(1, P.eventId) || !str(2, P.eventType) || !str(14, P.idempotency)) return -1;
  o = put(P.occurred, 0, P.occurred.length, out, o);
  o = put(occurredJson, 0, occurredJson.length, out, o);
  if (!str(9, P.outcome) || !str(7, P.resourceId) || !str(6, P.resourceType)) return -1;
  o = put(P.schema, 0, P.schema.length, out, o);
  o = put(b, v0, v1 - v0, out, o);
  o = put(P.stream, 0, P.stream.length, out, o);
  o = put(streamJson, 0, streamJson.length, out, o);
  if (!nullable(10, P.subject)) return -1;
  out[o++] = 0x7d;
  return o;
}

/** True when `b[from..to)` is one or more ASCII digits. */
function digitsOnly(b: Buffer, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Room for a line's envelope beyond the line's own bytes (member names, stream, timestamp). */
const ENVELOPE_EXTRA = 512;

/**
 * Checks a chunk of whole COPY lines of `stream`. Never throws on bad data: it reports
 * `clean: false`. Each line is read from its bytes: chain fields decoded into one scratch
 * buffer, the envelope and the canonical payload written next to them (ledger/jsonb-canonical.ts)
 * and hashed one-shot. A line outside what that byte path can prove identical goes through the
 * reference path instead (decoded, `JSON.parse`, `canonicalEnvelope`, `canonicalJson`).
 */
export function checkChunk(stream: string, buf: Buffer): ChunkResult {
  const dirty = (rows: number): ChunkResult => ({
    clean: false,
    rows,
    firstSeq: 0,
    firstPrev: EMPTY,
    lastHash: EMPTY,
    beforeLastHash: EMPTY,
    leaves: EMPTY,
    purgedSeqs: [],
  });
  const lines = countLines(buf);
  // A line that is not valid UTF-8 would not hash as the decoded text does: reference path only.
  const bytePath = isUtf8(buf);
  const leaves = Buffer.alloc(32 * lines); // never from the shared pool: it is transferred
  // hash, prev_hash, payload_digest, salt of this row; the last two hashes.
  const row = Buffer.alloc(112);
  const last = Buffer.alloc(64);
  const leafIn = Buffer.alloc(33);
  let input = Buffer.alloc(4096);
  let payloadIn = Buffer.alloc(4096);
  let firstSeq = 0;
  let firstPrev: Buffer = EMPTY;
  const purgedSeqs: number[] = [];
  let start = 0;
  try {
    for (let i = 0; i < lines; i++) {
      const end = buf.indexOf(10, start);
      const len = end - start;
      // (An envelope outgrowing `input` would lose bytes, fail its hash and go row by row: never wrong.)
      const room = 72 + len + ENVELOPE_EXTRA + 6 * stream.length;
      if (input.length < room) input = Buffer.alloc(2 * room);
      if (payloadIn.length < 16 + len) payloadIn = Buffer.alloc(2 * (16 + len));
      // Envelope bytes at input[40..n), canonical payload at payloadIn[16..m) (m = -1: none).
      let seq = 0;
      let n = -1;
      let m = -1;
      let hasSalt = false;
      let purgedFlag = false;
      if (bytePath && splitLine(buf, start, end)) {
        const s0 = at[0] as number;
        const s1 = (at[1] as number) - 1;
        const f18 = at[18] as number;
        const f19 = at[19] as number;
        hasSalt = !(f19 - f18 === 3 && buf[f18] === 0x5c && buf[f18 + 1] === 0x4e);
        const payloadNull = (at[20] as number) - f19 === 3 && buf[f19] === 0x5c && buf[f19 + 1] === 0x4e;
        purgedFlag = end - (at[20] as number) === 1 && buf[at[20] as number] === 0x74;
        // Anything unexpected (a malformed seq or bytea included) is left to the reference path.
        if (
          digitsOnly(buf, s0, s1) &&
          s1 - s0 <= 15 &&
          byteaBytesInto(buf, at[15] as number, (at[16] as number) - 1, 32, row, 64) &&
          byteaBytesInto(buf, at[16] as number, (at[17] as number) - 1, 32, row, 32) &&
          byteaBytesInto(buf, at[17] as number, f18 - 1, 32, row, 0) &&
          (!hasSalt || byteaBytesInto(buf, f18, f19 - 1, 16, row, 96))
        ) {
          seq = Number(buf.toString('latin1', s0, s1));
          n = envelopeInto(buf, stream, input, 40);
          if (n >= 0 && !payloadNull) {
            m = isUnescaped(19) ? jsonbToCanonical(buf, f19, (at[20] as number) - 1, payloadIn, 16) : -1;
            if (m < 0) n = -1;
          }
        }
      }
      if (n < 0) {
        // The reference path, on the line's text.
        const f = buf.toString('utf8', start, end).split('\t');
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
        if (input.length < 72 + 3 * envelope.length) input = Buffer.alloc(2 * (72 + 3 * envelope.length));
        n = 40 + input.write(envelope, 40, 'utf8');
        const payload = copyField(f[19] as string);
        if (payload !== null) {
          const canonical = canonicalJson(JSON.parse(payload));
          if (payloadIn.length < 16 + 3 * canonical.length)
            payloadIn = Buffer.alloc(2 * (16 + 3 * canonical.length));
          m = 16 + payloadIn.write(canonical, 16, 'utf8');
        } else m = -1;
        purgedFlag = f[20] === 't';
      }
      if (i === 0) firstSeq = seq;
      else if (seq !== firstSeq + i || !same(row, 32, last, 32, 32)) return dirty(lines);
      // hash = SHA-256(prev_hash || seq as u64 big-endian || envelope || payload_digest), as chainHash.
      put(row, 32, 32, input, 0);
      input.writeUInt32BE(Math.floor(seq / 0x100000000), 32);
      input.writeUInt32BE(seq >>> 0, 36);
      n = put(row, 64, 32, input, n);
      if (!sha256Equals(input.subarray(0, n), row, 0)) return dirty(lines);
      if (m >= 0) {
        // SHA-256(salt || canonical payload), as payloadDigest.
        if (!hasSalt) return dirty(lines);
        put(row, 96, 16, payloadIn, 0);
        if (!sha256Equals(payloadIn.subarray(0, m), row, 64)) return dirty(lines);
      } else if (!purgedFlag) return dirty(lines);
      else purgedSeqs.push(seq);
      // Leaf hash SHA-256(0x00 || hash), as leafHash.
      put(row, 0, 32, leafIn, 1);
      sha256Into(leafIn, leaves, 32 * i);
      put(last, 32, 32, last, 0);
      put(row, 0, 32, last, 32);
      if (i === 0) firstPrev = Buffer.from(row.subarray(32, 64));
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
    lastHash: Buffer.from(last.subarray(32, 64)),
    beforeLastHash: lines > 1 ? Buffer.from(last.subarray(0, 32)) : firstPrev,
    leaves,
    purgedSeqs,
  };
}
