import { hash } from 'node:crypto';

/** Byte helpers of the chunk checkers (ledger/verify-chunk.ts, ledger/bundle-chunk.ts). */

/** One-shot SHA-256 (no Hash object). */
export const sha256 = (data: Buffer): Buffer => hash('sha256', data, 'buffer') as unknown as Buffer;

/** Value of a lower-case hex digit by byte, -1 for any other byte. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 16; c++) HEX['0123456789abcdef'.charCodeAt(c)] = c;

/** Decodes `2*n` lower-case hex digits at `b[from]` into `out[at..]`; false on any other byte. */
export function hexInto(b: Buffer, from: number, n: number, out: Buffer, at: number): boolean {
  for (let i = 0; i < n; i++) {
    const h = HEX[b[from + 2 * i] as number] as number;
    const l = HEX[b[from + 2 * i + 1] as number] as number;
    if ((h | l) < 0) return false;
    out[at + i] = (h << 4) | l;
  }
  return true;
}

/** `a[ai..ai+n) == b[bi..bi+n)`. */
export function same(a: Buffer, ai: number, b: Buffer, bi: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ai + i] !== b[bi + i]) return false;
  return true;
}

/** Copies `n` bytes from `src[s]` to `dst[d]` and returns `d + n` (a loop: Buffer#copy costs a native call per use). */
export function put(src: Buffer, s: number, n: number, dst: Buffer, d: number): number {
  for (let i = 0; i < n; i++) dst[d + i] = src[s + i] as number;
  return d + n;
}
