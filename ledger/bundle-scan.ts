/**
 * A byte-level reader of `events.jsonl` lines that accepts a line only when it is already
 * RFC 8785 canonical I-JSON with exactly the bundle members in order, without parsing it into
 * objects: it records where each member's value lies, so the envelope and payload bytes are
 * hashed straight from the file. It is a filter in front of `parseBundleLine`
 * (ledger/bundle-line.ts), never a replacement: a line it accepts is one `parseBundleLine`
 * accepts with the same values and bytes, and anything else (any doubt: an escaped surrogate,
 * deep nesting) is left to `parseBundleLine`, which decides and names the fault. The buffer must
 * be valid UTF-8 (checked once per chunk), so its bytes are the UTF-8 of the text readline reads.
 * It also decodes the chain members (lower-case hex, as `parseBundleLine` requires) as it passes
 * them, so their bytes are read once.
 *
 * Canonical form, as `canonicalJson(JSON.parse(line))` writes it: no whitespace; members in
 * UTF-16 order of their names, each once; strings as JSON.stringify writes them (only `\"`,
 * `\\`, `\b \f \n \r \t` and lower-case `\u00xx` for other control characters); numbers as
 * `String(n)`, finite and, when integers, within ±(2^53−1).
 */
import { JSON_STOP, canonicalNumberEnd, hexInto } from './bytes';

/** The bundle members in canonical order, and what precedes each one's value. */
export const LINE_MEMBERS = [
  'action',
  'actor',
  'case_id',
  'context',
  'event_id',
  'event_type',
  'hash',
  'idempotency_key',
  'occurred_at',
  'outcome',
  'payload',
  'payload_digest',
  'payload_purged',
  'payload_salt',
  'prev_hash',
  'resource',
  'schema_version',
  'seq',
  'stream',
  'subject_id',
] as const;

const HEADS = LINE_MEMBERS.map((k, i) => Buffer.from(`${i === 0 ? '{' : ','}"${k}":`));

/**
 * The heads as little-endian 32-bit words, compared four bytes at a time: member m's words are
 * `HEAD_WORDS[HEAD_FROM[m] .. HEAD_FROM[m+1])`, at byte offsets `HEAD_WORD_AT[...]` within the head
 * (0, 4, … and one more ending at its last byte; every head is at least 4 bytes).
 */
const HEAD_LEN = Int32Array.from(HEADS, (h) => h.length);
const HEAD_FROM = new Int32Array(HEADS.length + 1);
const headWords: number[] = [];
const headWordAt: number[] = [];
HEADS.forEach((h, m) => {
  HEAD_FROM[m] = headWords.length;
  for (let at = 0; at < h.length; at += 4) {
    const from = Math.min(at, h.length - 4);
    headWords.push(h.readInt32LE(from));
    headWordAt.push(from);
  }
});
HEAD_FROM[HEADS.length] = headWords.length;
const HEAD_WORDS = Int32Array.from(headWords);
const HEAD_WORD_AT = Int32Array.from(headWordAt);

/** Member index by name. */
export const M = Object.fromEntries(LINE_MEMBERS.map((k, i) => [k, i])) as Record<
  (typeof LINE_MEMBERS)[number],
  number
>;

/**
 * The chain members, lower-case hex of a fixed number of bytes (the salt may also be null):
 * decoded while scanned, to `out[at[HEX_TO[m]]]`; -1 for the other members.
 */
const HEX_TO = new Int32Array(LINE_MEMBERS.length).fill(-1);
const HEX_BYTES = new Int32Array(LINE_MEMBERS.length);
for (const [name, to, n] of [
  ['hash', 0, 32],
  ['prev_hash', 1, 32],
  ['payload_digest', 2, 32],
  ['payload_salt', 3, 16],
] as const) {
  HEX_TO[M[name]] = to;
  HEX_BYTES[M[name]] = n;
}

const MAX_DEPTH = 256;

/** Set by `str`: the string just scanned held an escape. */
let escaped = false;

/** End of the string starting at `p` (a quote), or -1 when it is not in canonical form. */
function str(b: Buffer, p: number, end: number): number {
  escaped = false;
  const stop = JSON_STOP;
  for (let i = p + 1; i < end; i++) {
    while (i < end && stop[b[i] as number] === 0) i++;
    const c = b[i] as number;
    if (i >= end) return -1;
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c !== 0x5c) continue;
    escaped = true;
    const d = b[i + 1];
    if (d === 0x22 || d === 0x5c || d === 0x62 || d === 0x66 || d === 0x6e || d === 0x72 || d === 0x74) {
      i++;
      continue;
    }
    // \u00xx for a control character without a short escape; anything else (an escaped
    // surrogate included) is not what JSON.stringify writes or is left to the full check.
    if (d !== 0x75 || b[i + 2] !== 0x30 || b[i + 3] !== 0x30) return -1;
    const hi = b[i + 4] as number;
    const lo = b[i + 5] as number;
    const low = lo >= 0x30 && lo <= 0x39 ? lo - 0x30 : lo >= 0x61 && lo <= 0x66 ? lo - 0x57 : -1;
    if ((hi !== 0x30 && hi !== 0x31) || low < 0) return -1;
    const v = (hi - 0x30) * 16 + low;
    if (v === 8 || v === 9 || v === 10 || v === 12 || v === 13) return -1;
    i += 5;
  }
  return -1;
}

function literal(b: Buffer, p: number, word: Buffer): number {
  for (let i = 0; i < word.length; i++) if (b[p + i] !== word[i]) return -1;
  return p + word.length;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

/**
 * True when member name `a` sorts before `b` in UTF-16 code unit order (both spans exclude the
 * quotes). On valid UTF-8 the byte order is the code unit order up to the first differing byte
 * unless both bytes there are non-ASCII (a surrogate pair against U+E000..U+FFFF); only then, or
 * with escapes, are the names decoded and compared as canonicalJson's sort compares them.
 */
function before(b: Buffer, a0: number, a1: number, b0: number, b1: number, escapedNames: boolean): boolean {
  if (!escapedNames) {
    const n = Math.min(a1 - a0, b1 - b0);
    let i = 0;
    while (i < n && b[a0 + i] === b[b0 + i]) i++;
    if (i === n) return a1 - a0 < b1 - b0;
    const x = b[a0 + i] as number;
    const y = b[b0 + i] as number;
    if (x < 0x80 || y < 0x80) return x < y;
  }
  const x = JSON.parse(b.toString('utf8', a0 - 1, a1 + 1)) as string;
  const y = JSON.parse(b.toString('utf8', b0 - 1, b1 + 1)) as string;
  return x < y;
}

function obj(b: Buffer, p: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  let i = p + 1;
  if (b[i] === 0x7d) return i + 1;
  let k0 = -1;
  let k1 = -1;
  let kEscaped = false;
  for (;;) {
    if (b[i] !== 0x22) return -1;
    const ke = str(b, i, end);
    if (ke < 0) return -1;
    if (k0 >= 0 && !before(b, k0, k1, i + 1, ke - 1, kEscaped || escaped)) return -1;
    k0 = i + 1;
    k1 = ke - 1;
    kEscaped = escaped;
    if (b[ke] !== 0x3a) return -1;
    i = value(b, ke + 1, end, depth + 1);
    if (i < 0) return -1;
    if (b[i] === 0x2c) i++;
    else return b[i] === 0x7d ? i + 1 : -1;
  }
}

function arr(b: Buffer, p: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  let i = p + 1;
  if (b[i] === 0x5d) return i + 1;
  for (;;) {
    i = value(b, i, end, depth + 1);
    if (i < 0) return -1;
    if (b[i] === 0x2c) i++;
    else return b[i] === 0x5d ? i + 1 : -1;
  }
}

function value(b: Buffer, p: number, end: number, depth: number): number {
  const c = b[p];
  if (c === 0x22) return str(b, p, end);
  if (c === 0x7b) return obj(b, p, end, depth);
  if (c === 0x5b) return arr(b, p, end, depth);
  if (c === 0x74) return literal(b, p, TRUE);
  if (c === 0x66) return literal(b, p, FALSE);
  if (c === 0x6e) return literal(b, p, NULL);
  if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return canonicalNumberEnd(b, p, end, true);
  return -1;
}

/** A DataView of the buffer last scanned (the chunk checker scans one workspace buffer). */
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
let viewOf: Buffer | null = null;

/**
 * Scans the line `b[start..end)` (without its \n; `b` must be valid UTF-8). On success fills
 * `spans` with each member's value start and end (`spans[2i]`, `spans[2i+1]`, in
 * {@link LINE_MEMBERS} order), writes the chain members' bytes to `out`: hash at `at[0]`,
 * prev_hash at `at[1]`, payload_digest at `at[2]`, payload_salt at `at[3]` (unless null), and
 * returns true; false means "not certainly canonical, or a chain member not lower-case hex of
 * its length": read the line with `parseBundleLine`, which names the fault.
 */
export function scanBundleLine(
  b: Buffer,
  start: number,
  end: number,
  spans: Int32Array,
  out: Buffer,
  at: Int32Array,
): boolean {
  if (viewOf !== b) {
    view = new DataView(b.buffer, b.byteOffset, b.length);
    viewOf = b;
  }
  const dv = view;
  let p = start;
  for (let m = 0; m < HEAD_LEN.length; m++) {
    if (p + (HEAD_LEN[m] as number) > end) return false;
    for (let k = HEAD_FROM[m] as number, to = HEAD_FROM[m + 1] as number; k < to; k++)
      if (dv.getInt32(p + (HEAD_WORD_AT[k] as number), true) !== HEAD_WORDS[k]) return false;
    p += HEAD_LEN[m] as number;
    let q: number;
    const h = HEX_TO[m] as number;
    if (h >= 0) {
      // Only hex digits between the quotes: a string in canonical form, decoded on the way.
      const n = HEX_BYTES[m] as number;
      if (
        b[p] === 0x22 &&
        p + 2 * n + 2 <= end &&
        b[p + 2 * n + 1] === 0x22 &&
        hexInto(b, p + 1, n, out, at[h] as number)
      )
        q = p + 2 * n + 2;
      else if (n === 16 && b[p] === 0x6e) q = literal(b, p, NULL);
      else return false;
    } else q = value(b, p, end, 1);
    if (q < 0) return false;
    spans[2 * m] = p;
    spans[2 * m + 1] = q;
    p = q;
  }
  return p === end - 1 && b[p] === 0x7d;
}
