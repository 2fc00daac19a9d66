/**
 * PostgreSQL jsonb output text → RFC 8785 canonical JSON bytes, without `JSON.parse`, for the
 * subset where the result is provably what `canonicalJson(JSON.parse(text))` (core/canonical-json)
 * writes; for anything else it answers -1 and the caller uses that reference path.
 *
 * jsonb prints members sorted by name length then bytes, with `", "` and `": "` separators, and
 * numbers as PostgreSQL numerics (`1.50`, `100000000000000000000000`). The subset accepted here:
 * - no backslash anywhere, so no string holds an escape: a string's bytes between its quotes are
 *   then free of `"`, `\` and control characters (jsonb escapes those), which is exactly when
 *   JSON.stringify writes it back unchanged (it escapes nothing else; the text is valid UTF-8);
 * - numbers whose text is `String(Number(text))`, which is how canonical JSON writes them;
 * - no duplicated member name, nesting up to {@link MAX_DEPTH};
 * - spaces (only) between tokens.
 * Member names are re-sorted in UTF-16 code unit order: bytewise for ASCII names, by the decoded
 * strings otherwise (UTF-8 byte order differs from UTF-16 order above U+FFFF).
 *
 * One pass over the input: each value is written as it is read; an object's members are written
 * in input order, then moved into sorted order through a scratch buffer when they were not sorted.
 */

import { canonicalNumberEnd } from './bytes';
import { copyPlain, move, plainEnd } from './span-bytes';

const MAX_DEPTH = 64;

const QUOTE = 0x22;
const SPACE = 0x20;

/** Index of the first non-space byte at or after `p`. */
function ws(b: Buffer, p: number, end: number): number {
  while (p < end && b[p] === SPACE) p++;
  return p;
}

/**
 * Copies the escape-free string at `b[p]` (a quote) to `out[at..)`, quotes included; returns the
 * output end (the input end is `at`'s advance plus `p`), or -1 on a backslash, a control byte or
 * no closing quote before `end`.
 */
function str(b: Buffer, p: number, end: number, out: Buffer, at: number): number {
  if (b === out && at >= end) {
    // Output after the input in one buffer (the chunk checker's workspace): copied as scanned.
    out[at] = QUOTE;
    const k = copyPlain(b, p + 1, end, at + 1);
    if (k >= end || b[k] !== QUOTE) return -1;
    const o = at + k - p;
    out[o] = QUOTE;
    return o + 1;
  }
  const i = plainEnd(b, p + 1, end);
  if (i >= end || b[i] !== QUOTE) return -1;
  // Scanned first, then copied in one go (natively when long): cheaper than byte by byte.
  return move(b, p, i + 1 - p, out, at);
}

/** True when the member name at `b[a0..a1)` sorts before `b[b0..b1)` (spans exclude quotes); null when equal. */
function nameBefore(b: Buffer, a0: number, a1: number, b0: number, b1: number): boolean | null {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let i = 0; i < n; i++) {
    const x = b[a0 + i] as number;
    const y = b[b0 + i] as number;
    if (x === y) continue;
    if (x < 0x80 && y < 0x80) return x < y;
    const s = b.toString('utf8', a0, a1);
    const t = b.toString('utf8', b0, b1);
    return s === t ? null : s < t;
  }
  return a1 - a0 === b1 - b0 ? null : a1 - a0 < b1 - b0;
}

/** Where in the input the value last written by `value` ended (its return value is the output end). */
let inputEnd = 0;

/**
 * Members of the objects being written, as a stack of [name start, name end (input, quotes
 * excluded), output start, output end]: an object's members sit above its parent's.
 */
let members = new Int32Array(4 * 64);
let top = 0;
/** Where an object's members are copied while they are put in order. */
let scratch = Buffer.alloc(4096);

const LITERAL_TRUE = [0x74, 0x72, 0x75, 0x65];
const LITERAL_FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const LITERAL_NULL = [0x6e, 0x75, 0x6c, 0x6c];

function literal(b: Buffer, p: number, end: number, word: number[], out: Buffer, at: number): number {
  if (p + word.length > end) return -1;
  for (let i = 0; i < word.length; i++) {
    if (b[p + i] !== word[i]) return -1;
    out[at + i] = word[i] as number;
  }
  inputEnd = p + word.length;
  return at + word.length;
}

/** Writes the canonical form of the value at `b[p..)` to `out[at..)`; returns the output end or -1. */
function value(b: Buffer, p: number, end: number, out: Buffer, at: number, depth: number): number {
  const c = b[p];
  if (c === QUOTE) {
    const r = str(b, p, end, out, at);
    if (r >= 0) inputEnd = p + r - at;
    return r;
  }
  if (c === 0x7b) return depth >= MAX_DEPTH ? -1 : object(b, p, end, out, at, depth);
  if (c === 0x5b) return depth >= MAX_DEPTH ? -1 : array(b, p, end, out, at, depth);
  if (c === 0x74) return literal(b, p, end, LITERAL_TRUE, out, at);
  if (c === 0x66) return literal(b, p, end, LITERAL_FALSE, out, at);
  if (c === 0x6e) return literal(b, p, end, LITERAL_NULL, out, at);
  const q = canonicalNumberEnd(b, p, end);
  if (q < 0) return -1;
  inputEnd = q;
  return move(b, p, q - p, out, at);
}

function array(b: Buffer, p: number, end: number, out: Buffer, at: number, depth: number): number {
  out[at++] = 0x5b;
  let i = ws(b, p + 1, end);
  if (b[i] === 0x5d) {
    inputEnd = i + 1;
    out[at] = 0x5d;
    return at + 1;
  }
  for (let first = true; ; first = false) {
    if (!first) out[at++] = 0x2c;
    at = value(b, i, end, out, at, depth + 1);
    if (at < 0) return -1;
    i = ws(b, inputEnd, end);
    if (b[i] === 0x2c) i = ws(b, i + 1, end);
    else if (b[i] === 0x5d) {
      inputEnd = i + 1;
      out[at] = 0x5d;
      return at + 1;
    } else return -1;
  }
}

function object(b: Buffer, p: number, end: number, out: Buffer, at: number, depth: number): number {
  out[at++] = 0x7b;
  const base = top;
  let i = ws(b, p + 1, end);
  if (b[i] === 0x7d) {
    inputEnd = i + 1;
    out[at] = 0x7d;
    return at + 1;
  }
  let sorted = true;
  for (;;) {
    if (b[i] !== QUOTE) return -1;
    const m = top;
    if (members.length < m + 4) {
      const grown = new Int32Array(2 * members.length);
      grown.set(members);
      members = grown;
    }
    top = m + 4;
    if (m > base) out[at++] = 0x2c;
    const o0 = at;
    at = str(b, i, end, out, at);
    if (at < 0) return -1;
    const k1 = i + at - o0 - 1;
    members[m] = i + 1;
    members[m + 1] = k1;
    members[m + 2] = o0;
    // Once out of order, `order` sorts them all and finds any duplicated name itself.
    if (m > base && sorted) {
      const before = nameBefore(b, members[m - 4] as number, members[m - 3] as number, i + 1, k1);
      if (before === null) return -1;
      if (!before) sorted = false;
    }
    let v = ws(b, k1 + 1, end);
    if (b[v] !== 0x3a) return -1;
    out[at++] = 0x3a;
    v = ws(b, v + 1, end);
    at = value(b, v, end, out, at, depth + 1);
    if (at < 0) return -1;
    members[m + 3] = at;
    top = m + 4; // (the value's own members are gone)
    i = ws(b, inputEnd, end);
    if (b[i] === 0x2c) i = ws(b, i + 1, end);
    else if (b[i] === 0x7d) break;
    else return -1;
  }
  const close = i + 1;
  if (!sorted && order(b, base, out, members[base + 2] as number, at) < 0) return -1;
  top = base;
  out[at] = 0x7d;
  inputEnd = close;
  return at + 1;
}

/**
 * Puts the members written at `members[base..top)`, which fill `out[from..to)` with the commas
 * between them, in name order (insertion sort: objects are small), moving their bytes through the
 * free tail of `out` or {@link scratch}; -1 on a duplicated name.
 */
function order(b: Buffer, base: number, out: Buffer, from: number, to: number): number {
  const ms = members;
  const n = top;
  for (let m = base + 4; m < n; m += 4) {
    const a0 = ms[m] as number;
    const a1 = ms[m + 1] as number;
    const o0 = ms[m + 2] as number;
    const o1 = ms[m + 3] as number;
    let j = m;
    while (j > base) {
      const before = nameBefore(b, a0, a1, ms[j - 4] as number, ms[j - 3] as number);
      if (before === null) return -1;
      if (!before) break;
      ms[j] = ms[j - 4] as number;
      ms[j + 1] = ms[j - 3] as number;
      ms[j + 2] = ms[j - 2] as number;
      ms[j + 3] = ms[j - 1] as number;
      j -= 4;
    }
    ms[j] = a0;
    ms[j + 1] = a1;
    ms[j + 2] = o0;
    ms[j + 3] = o1;
  }
  // Through the free tail of `out` when it has room (copies within one buffer are the cheap
  // ones, see `move`), else through the scratch buffer.
  let sc = out;
  let s0 = to;
  if (out.length - to < to - from) {
    if (scratch.length < to - from) scratch = Buffer.alloc(2 * (to - from));
    sc = scratch;
    s0 = 0;
  }
  move(out, from, to - from, sc, s0);
  let at = from;
  for (let m = base; m < n; m += 4) {
    if (m > base) out[at++] = 0x2c;
    const s = (ms[m + 2] as number) - from;
    at = move(sc, s0 + s, (ms[m + 3] as number) - from - s, out, at);
  }
  return at;
}

/**
 * Writes the canonical form of the jsonb value starting at `b[start]` to `out` from `at` and
 * returns where the output ends, or -1 outside the subset (see the module comment); the input
 * end is then {@link jsonbValueEnd}. The value must end before `end`; `b[start..end)` must be
 * valid UTF-8 and `out` must have `end - start` bytes free from `at`. Bytes of `out` after the
 * returned end may be overwritten (used as scratch).
 */
export function jsonbValueInto(b: Buffer, start: number, end: number, out: Buffer, at: number): number {
  top = 0;
  const r = value(b, start, end, out, at, 0);
  top = 0;
  return r;
}

/** Input end of the value last written by {@link jsonbValueInto}. */
export const jsonbValueEnd = (): number => inputEnd;

/**
 * Writes `canonicalJson(JSON.parse(b.toString('utf8', start, end)))` as UTF-8 to `out` from
 * `at` and returns where it ends, or -1 when the text is outside the subset this handles (then
 * nothing is promised about `out`: use the reference path). `b[start..end)` must be valid UTF-8
 * and `out` must have `end - start` bytes free from `at` (canonical output is never longer);
 * bytes of `out` after the returned end may be overwritten (used as scratch).
 */
export function jsonbToCanonical(b: Buffer, start: number, end: number, out: Buffer, at: number): number {
  const p = ws(b, start, end);
  if (p >= end) return -1;
  const r = jsonbValueInto(b, p, end, out, at);
  if (r < 0 || ws(b, inputEnd, end) !== end) return -1;
  return r;
}
