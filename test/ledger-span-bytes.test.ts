import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { move, sha256SpanEquals } from '../ledger/span-bytes';

/** The workspace helpers of the COPY chunk checker against Buffer#copy and a plain SHA-256. */
describe('span byte helpers', () => {
  it('move copies like Buffer#copy at every length, either direction, in views at any offset of their memory', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 120 }),
        fc.nat(40),
        fc.nat(7),
        fc.constantFrom('within', 'between', 'backwards'),
        (bytes, gap, offset, how) => {
          const size = 2 * bytes.length + gap + 16;
          // A view that starts `offset` bytes into its ArrayBuffer, as pool slices and subarrays do.
          const view = (): Buffer => Buffer.alloc(size + offset, 0xa5).subarray(offset);
          const src = view();
          const at = how === 'backwards' ? 5 + bytes.length + gap : 5;
          const to = how === 'backwards' ? 5 : 5 + bytes.length + gap;
          Buffer.from(bytes).copy(src, at);
          const dst = how === 'between' ? view() : src;
          const want = Buffer.from(dst);
          Buffer.from(bytes).copy(want, to);
          expect(move(src, at, bytes.length, dst, to)).toBe(to + bytes.length);
          expect(dst.equals(want)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('sha256SpanEquals answers whether SHA-256 of exactly the span is the wanted digest', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.nat(20),
        fc.nat(31),
        (bytes, offset, flip) => {
          const b = Buffer.alloc(bytes.length + offset + 40, 1).subarray(offset);
          Buffer.from(bytes).copy(b, 3);
          const want = createHash('sha256').update(bytes).digest();
          expect(sha256SpanEquals(b, 3, 3 + bytes.length, want, 0)).toBe(true);
          // One bit off in the digest, or a byte more in the span, is not equal.
          const off = Buffer.from(want);
          off[flip] = (off[flip] as number) ^ 1;
          expect(sha256SpanEquals(b, 3, 3 + bytes.length, off, 0)).toBe(false);
          expect(sha256SpanEquals(b, 3, 4 + bytes.length, want, 0)).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
