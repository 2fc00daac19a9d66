import { createHash, hash } from 'node:crypto';
import { NATIVE_MISSING, nativeModule, type NativeModule } from './native-module';

/**
 * SHA-256 of a span of a byte array, written to or compared with 32 bytes of another, for the
 * verification hot loops (ledger/verify-chunk.ts, ledger/chunk-nodes.ts, ledger/bundle-chunk.ts).
 * Both implementations below give the same answers (test/sha256-span.test.ts): the native one
 * (ledger/native/sha256.c, in ledger/native-module.ts's module) when it loads and passes
 * its self-test, else `crypto.hash`.
 */
export interface Sha256Span {
  /** `dst[at..at+32) = SHA-256(src[from..to))`; the spans may overlap. RangeError outside the arrays. */
  into(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): void;
  /** `SHA-256(src[from..to)) == want[at..at+32)`. RangeError outside the arrays. */
  equals(src: Uint8Array, from: number, to: number, want: Uint8Array, at: number): boolean;
}

function checkSpan(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): void {
  if (
    !Number.isInteger(from) ||
    !Number.isInteger(to) ||
    !Number.isInteger(at) ||
    from < 0 ||
    to < from ||
    to > src.length ||
    at < 0 ||
    at + 32 > dst.length
  )
    throw new RangeError('sha256: span outside its array');
}

/** Four chars of a latin1 digest as a little-endian 32-bit word. */
const word = (d: string, i: number): number =>
  d.charCodeAt(i) | (d.charCodeAt(i + 1) << 8) | (d.charCodeAt(i + 2) << 16) | (d.charCodeAt(i + 3) << 24);

/** Little-endian 32-bit word at `b[i]`. */
const wordAt = (b: Uint8Array, i: number): number =>
  (b[i] as number) |
  ((b[i + 1] as number) << 8) |
  ((b[i + 2] as number) << 16) |
  ((b[i + 3] as number) << 24);

/** Longest span whose view {@link spanView} keeps. */
const MAX_KEPT_VIEW = 8192;
/** Kept views: the checkers hash spans that start at a few fixed places of their buffers. */
interface Kept {
  src: Uint8Array;
  from: number;
  byLength: (Uint8Array | undefined)[];
}
const kept: Kept[] = [];
const KEPT_STARTS = 8;

/** A plain Uint8Array view of `src[from..to)` (cheaper to make than a Buffer subarray; most are kept from an earlier call). */
function spanView(src: Uint8Array, from: number, to: number): Uint8Array {
  const n = to - from;
  if (n > MAX_KEPT_VIEW) return new Uint8Array(src.buffer, src.byteOffset + from, n);
  let k: Kept | undefined;
  for (const c of kept)
    if (c.src === src && c.from === from) {
      k = c;
      break;
    }
  if (k === undefined) {
    if (kept.length === KEPT_STARTS) kept.shift();
    kept.push((k = { src, from, byLength: [] }));
  }
  let v = k.byLength[n];
  if (v === undefined) k.byLength[n] = v = new Uint8Array(src.buffer, src.byteOffset + from, n);
  return v;
}

/** `crypto.hash` of the span, its digest as a latin1 string (its cheapest output), compared a word at a time. */
export const nodeCryptoSha256: Sha256Span = {
  into(src, from, to, dst, at) {
    checkSpan(src, from, to, dst, at);
    const d = hash('sha256', spanView(src, from, to), 'binary');
    for (let i = 0; i < 32; i++) dst[at + i] = d.charCodeAt(i);
  },
  equals(src, from, to, want, at) {
    checkSpan(src, from, to, want, at);
    const d = hash('sha256', spanView(src, from, to), 'binary');
    for (let i = 0; i < 32; i += 4) if (word(d, i) !== wordAt(want, at + i)) return false;
    return true;
  },
};

/** Known answers the native module must give before it is used (inputs across block boundaries). */
function passesSelfTest(m: Pick<NativeModule, 'sha256Into' | 'sha256Equals'>): boolean {
  const data = Buffer.alloc(200);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
  const out = Buffer.alloc(40);
  for (const n of [0, 1, 33, 55, 56, 63, 64, 65, 119, 120, 128, 200]) {
    const want = createHash('sha256').update(data.subarray(0, n)).digest();
    m.sha256Into(data, 0, n, out, 8);
    if (!want.equals(out.subarray(8, 40)) || !m.sha256Equals(data, 0, n, want, 0)) return false;
    want[31] = (want[31] as number) ^ 1;
    if (m.sha256Equals(data, 0, n, want, 0)) return false;
  }
  return true;
}

function loadNative(): Sha256Span | null {
  if (nativeModule === null || !passesSelfTest(nativeModule)) return null;
  return { into: nativeModule.sha256Into, equals: nativeModule.sha256Equals };
}

const native = loadNative();

/** The native SHA-256 when it loaded, else null (the tests compare it with {@link nodeCryptoSha256}). */
export const nativeSha256: Sha256Span | null = native;

let active: Sha256Span = native ?? nodeCryptoSha256;

/** Which implementation {@link sha256SpanInto} and {@link sha256SpanEquals} use. */
export const sha256Implementation = (): 'native' | 'node:crypto' =>
  active === nodeCryptoSha256 ? 'node:crypto' : 'native';

/**
 * Switches implementation (for the tests that check both give the same verdicts); throws when
 * the native one is asked for and did not load.
 */
export function useSha256(impl: 'native' | 'node:crypto'): void {
  if (impl === 'native' && native === null) throw new Error(NATIVE_MISSING);
  active = impl === 'native' ? (native as Sha256Span) : nodeCryptoSha256;
}

/** `dst[at..at+32) = SHA-256(src[from..to))`; the spans may overlap. RangeError outside the arrays. */
export const sha256SpanInto = (
  src: Uint8Array,
  from: number,
  to: number,
  dst: Uint8Array,
  at: number,
): void => active.into(src, from, to, dst, at);

/** `SHA-256(src[from..to)) == want[at..at+32)`. RangeError outside the arrays. */
export const sha256SpanEquals = (
  src: Uint8Array,
  from: number,
  to: number,
  want: Uint8Array,
  at: number,
): boolean => active.equals(src, from, to, want, at);
