import { hash } from 'node:crypto';

/** Byte helpers of the chunk checkers (ledger/verify-chunk.ts, ledger/bundle-chunk.ts). */

/** One-shot SHA-256 (no Hash object). */
export const sha256 = (data: Buffer): Buffer => hash('sha256', data, 'buffer') as unknown as Buffer;

/**
 * The digest as a latin1 ('binary') string, one char per byte: `crypto.hash` takes its fast path for that
 * encoding, where 'buffer' costs ~0.45 µs more per call.
 */
const digest = (data: Buffer): string => hash('sha256', data, 'binary');

/** Writes SHA-256 of `data` to `out[at..at+32)`. */
export function sha256Into(data: Buffer, out: Buffer, at: number): void {
  const d = digest(data);
  for (let i = 0; i < 32; i++) out[at + i] = d.charCodeAt(i);
}

/**
 * 1 for the bytes a JSON string cannot hold unescaped (controls, `"`, `\\`), 0 otherwise: the
 * string scanners skip the rest with one table load per byte.
 */
export const JSON_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) JSON_STOP[c] = 1;
JSON_STOP[0x22] = 1;
JSON_STOP[0x5c] = 1;

/** Value of a pair of lower-case hex digits by `first << 8 | second`, -1 for any other pair: one load per byte decoded. */
const HEX_PAIR = new Int16Array(65536).fill(-1);
for (let h = 0; h < 16; h++)
  for (let l = 0; l < 16; l++)
    HEX_PAIR[('0123456789abcdef'.charCodeAt(h) << 8) | '0123456789abcdef'.charCodeAt(l)] = (h << 4) | l;

/** Decodes `2*n` lower-case hex digits at `b[from]` into `out[at..]`; false on any other byte. */
export function hexInto(b: Buffer, from: number, n: number, out: Buffer, at: number): boolean {
  const pair = HEX_PAIR;
  for (let i = 0, p = from; i < n; i++, p += 2) {
    const v = pair[((b[p] as number) << 8) | (b[p + 1] as number)] as number;
    if (v < 0) return false;
    out[at + i] = v;
  }
  return true;
}

/** `a[ai..ai+n) == b[bi..bi+n)`. */
export function same(a: Buffer, ai: number, b: Buffer, bi: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ai + i] !== b[bi + i]) return false;
  return true;
}

/**
 * Copies `n` bytes from `src[s]` to `dst[d]` (non-overlapping) and returns `d + n`. Within one
 * buffer by `copyWithin` (a builtin: ~25 ns at any length, where a loop costs ~2 ns a byte);
 * between buffers, short runs by a loop (a Buffer#copy costs ~100 ns of call), longer natively.
 */
export function put(src: Buffer, s: number, n: number, dst: Buffer, d: number): number {
  if (n >= 12 && src === dst) {
    dst.copyWithin(d, s, s + n);
    return d + n;
  }
  if (n >= 48) return d + src.copy(dst, d, s, s + n);
  for (let i = 0; i < n; i++) dst[d + i] = src[s + i] as number;
  return d + n;
}

/**
 * End of the number token at `p` when its text is exactly `String(n)` of a finite number (the
 * canonical form), else -1; with `safeIntegers`, also -1 for an integer beyond 2^53 (I-JSON).
 */
export function canonicalNumberEnd(b: Buffer, p: number, end: number, safeIntegers = false): number {
  // Fast path: an integer of at most 15 digits without a leading zero (or a lone 0) is its own
  // String(Number(text)) and safe; "-0" and anything with a fraction or exponent go the long way.
  let d = b[p] === 0x2d ? p + 1 : p;
  const first = d;
  while (d < end && d - first < 16) {
    const c = b[d] as number;
    if (c < 0x30 || c > 0x39) break;
    d++;
  }
  const next = d < end ? (b[d] as number) : 0;
  const digits = d - first;
  if (
    digits > 0 &&
    digits <= 15 &&
    (b[first] !== 0x30 || (digits === 1 && first === p)) &&
    next !== 0x2e &&
    next !== 0x65 &&
    next !== 0x45 &&
    next !== 0x2b &&
    next !== 0x2d &&
    !(next >= 0x30 && next <= 0x39)
  )
    return d;
  let q = p;
  while (q < end) {
    const c = b[q] as number;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45) q++;
    else break;
  }
  if (q === p) return -1;
  const text = b.toString('latin1', p, q);
  const n = Number(text);
  if (!Number.isFinite(n) || String(n) !== text) return -1;
  if (safeIntegers && Number.isInteger(n) && !Number.isSafeInteger(n)) return -1;
  return q;
}

/** Writes `seq` (a safe non-negative integer) as an unsigned 64-bit big-endian integer at `out[at..at+8)`. */
export function seqInto(seq: number, out: Buffer, at: number): void {
  const hi = Math.floor(seq / 0x100000000);
  const lo = seq >>> 0;
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
}
