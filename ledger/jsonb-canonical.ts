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
 */

import { canonicalNumberEnd, put } from './bytes';

const MAX_DEPTH = 64;

const QUOTE = 0x22;
const SPACE = 0x20;

/** Index of the first non-space byte at or after `p`. */
function ws(b: Buffer, p: number, end: number): number {
  while (p < end && b[p] === SPACE) p++;
  return p;
}

/** End (past the closing quote) of the escape-free string at `p`, or -1. */
function str(b: Buffer, p: number, end: number): number {
  for (let i = p + 1; i < end; i++) {
    const c = b[i] as number;
    if (c === QUOTE) return i + 1;
    if (c < 0x20 || c === 0x5c) return -1;
  }
  return -1;
}

function literal(b: Buffer, p: number, end: number, word: string): number {
  if (p + word.length > end) return -1;
  for (let i = 0; i < word.length; i++) if (b[p + i] !== word.charCodeAt(i)) return -1;
  return p + word.length;
}

/** End of the value at `p` (after skipping it, nested values included), or -1 outside the subset. */
function skip(b: Buffer, p: number, end: number): number {
  const c = b[p];
  if (c === QUOTE) return str(b, p, end);
  if (c === 0x7b || c === 0x5b) {
    // Brackets balance outside strings, and strings hold no escaped quote in this subset.
    let depth = 0;
    for (let i = p; i < end; i++) {
      const d = b[i] as number;
      if (d === QUOTE) {
        i = str(b, i, end) - 1;
        if (i < 0) return -1;
      } else if (d === 0x7b || d === 0x5b) {
        if (++depth > MAX_DEPTH) return -1;
      } else if (d === 0x7d || d === 0x5d) {
        if (--depth === 0) return i + 1;
      }
    }
    return -1;
  }
  if (c === 0x74) return literal(b, p, end, 'true');
  if (c === 0x66) return literal(b, p, end, 'false');
  if (c === 0x6e) return literal(b, p, end, 'null');
  return canonicalNumberEnd(b, p, end);
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

/** Writes the canonical form of the value at `b[p..)` to `out[at..)`; returns the output end or -1. */
function value(b: Buffer, p: number, end: number, out: Buffer, at: number, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  const c = b[p];
  if (c === 0x7b) return object(b, p, end, out, at, depth);
  if (c === 0x5b) {
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
  const q = skip(b, p, end);
  if (q < 0) return -1;
  put(b, p, q - p, out, at);
  inputEnd = q;
  return at + q - p;
}

function object(b: Buffer, p: number, end: number, out: Buffer, at: number, depth: number): number {
  // Members as [name start, name end, value start] (name spans exclude the quotes).
  const members: number[] = [];
  let i = ws(b, p + 1, end);
  let close = -1;
  if (b[i] === 0x7d) close = i + 1;
  while (close < 0) {
    if (b[i] !== QUOTE) return -1;
    const k = str(b, i, end);
    if (k < 0) return -1;
    let v = ws(b, k, end);
    if (b[v] !== 0x3a) return -1;
    v = ws(b, v + 1, end);
    const ve = skip(b, v, end);
    if (ve < 0) return -1;
    members.push(i + 1, k - 1, v);
    i = ws(b, ve, end);
    if (b[i] === 0x2c) i = ws(b, i + 1, end);
    else if (b[i] === 0x7d) close = i + 1;
    else return -1;
  }
  const n = members.length / 3;
  const order: number[] = [];
  for (let m = 0; m < n; m++) {
    // Insertion sort: objects are small and jsonb's order is often close already.
    let j = order.length;
    while (j > 0) {
      const o = order[j - 1] as number;
      const before = nameBefore(
        b,
        members[3 * m] as number,
        members[3 * m + 1] as number,
        members[3 * o] as number,
        members[3 * o + 1] as number,
      );
      if (before === null) return -1;
      if (!before) break;
      j--;
    }
    order.splice(j, 0, m);
  }
  out[at++] = 0x7b;
  for (let j = 0; j < n; j++) {
    const m = order[j] as number;
    if (j > 0) out[at++] = 0x2c;
    const k0 = members[3 * m] as number;
    const k1 = members[3 * m + 1] as number;
    out[at++] = QUOTE;
    put(b, k0, k1 - k0, out, at);
    at += k1 - k0;
    out[at++] = QUOTE;
    out[at++] = 0x3a;
    at = value(b, members[3 * m + 2] as number, end, out, at, depth + 1);
    if (at < 0) return -1;
  }
  out[at++] = 0x7d;
  inputEnd = close;
  return at;
}

/**
 * Writes `canonicalJson(JSON.parse(b.toString('utf8', start, end)))` as UTF-8 to `out` from
 * `at` and returns where it ends, or -1 when the text is outside the subset this handles (then
 * nothing is promised about `out`: use the reference path). `b[start..end)` must be valid UTF-8
 * and `out` must have `end - start` bytes free from `at` (canonical output is never longer).
 */
export function jsonbToCanonical(b: Buffer, start: number, end: number, out: Buffer, at: number): number {
  const p = ws(b, start, end);
  if (p >= end) return -1;
  const r = value(b, p, end, out, at, 0);
  if (r < 0 || ws(b, inputEnd, end) !== end) return -1;
  return r;
}
