/**
 * A byte-level reader of `events.jsonl` lines that accepts a line only when it is already
 * RFC 8785 canonical I-JSON with exactly the bundle members in order, without parsing it into
 * objects: it records where each member's value lies, so the envelope and payload bytes are
 * hashed straight from the file. It is a filter in front of `parseBundleLine`
 * (ledger/bundle-line.ts), never a replacement: a line it accepts is one `parseBundleLine`
 * accepts with the same values and bytes, and anything else (any doubt: an escaped surrogate,
 * deep nesting) is left to `parseBundleLine`, which decides and names the fault. The buffer must
 * be valid UTF-8 (checked once per chunk), so its bytes are the UTF-8 of the text readline reads.
 *
 * Canonical form, as `canonicalJson(JSON.parse(line))` writes it: no whitespace; members in
 * UTF-16 order of their names, each once; strings as JSON.stringify writes them (only `\"`,
 * `\\`, `\b \f \n \r \t` and lower-case `\u00xx` for other control characters); numbers as
 * `String(n)`, finite and, when integers, within ±(2^53−1).
 */
import { JSON_STOP, canonicalNumberEnd } from './bytes';

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

/** Member index by name. */
export const M = Object.fromEntries(LINE_MEMBERS.map((k, i) => [k, i])) as Record<
  (typeof LINE_MEMBERS)[number],
  number
>;

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

/** True when member name `a` sorts before `b` in UTF-16 code unit order (both spans exclude the quotes). */
function before(b: Buffer, a0: number, a1: number, b0: number, b1: number, escapedNames: boolean): boolean {
  let ascii = !escapedNames;
  for (let i = a0; i < a1 && ascii; i++) if ((b[i] as number) >= 0x80) ascii = false;
  for (let i = b0; i < b1 && ascii; i++) if ((b[i] as number) >= 0x80) ascii = false;
  if (!ascii) {
    // Decoded names, compared as canonicalJson's sort compares them.
    const x = JSON.parse(b.toString('utf8', a0 - 1, a1 + 1)) as string;
    const y = JSON.parse(b.toString('utf8', b0 - 1, b1 + 1)) as string;
    return x < y;
  }
  const n = Math.min(a1 - a0, b1 - b0);
  for (let i = 0; i < n; i++) {
    const x = b[a0 + i] as number;
    const y = b[b0 + i] as number;
    if (x !== y) return x < y;
  }
  return a1 - a0 < b1 - b0;
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

/**
 * Scans the line `b[start..end)` (without its \n). On success fills `spans` with each member's
 * value start and end (`spans[2i]`, `spans[2i+1]`, in {@link LINE_MEMBERS} order) and returns
 * true; false means "not certainly canonical": read the line with `parseBundleLine`.
 */
export function scanCanonicalLine(b: Buffer, start: number, end: number, spans: Int32Array): boolean {
  let p = start;
  for (let m = 0; m < HEADS.length; m++) {
    const head = HEADS[m] as Buffer;
    for (let i = 0; i < head.length; i++) if (b[p + i] !== head[i]) return false;
    p += head.length;
    const q = value(b, p, end, 1);
    if (q < 0) return false;
    spans[2 * m] = p;
    spans[2 * m + 1] = q;
    p = q;
  }
  return p === end - 1 && b[p] === 0x7d;
}
