import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JSON_STOP, hexInto } from '../ledger/bytes';
import { copyPlain, hexWithin, move, plainEnd, sameWithin } from '../ledger/span-bytes';

/** The workspace helpers of the COPY chunk checker against Buffer#copy and the byte-at-a-time helpers. */
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

  it('plainEnd stops where a byte-at-a-time JSON_STOP scan stops, at every position and alignment', () => {
    // Bytes near the stop values and their borrow neighbours, so that the word tests meet every edge.
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(
        0x00,
        0x01,
        0x1f,
        0x20,
        0x21,
        0x22,
        0x23,
        0x5b,
        0x5c,
        0x5d,
        0x7f,
        0x80,
        0xa2,
        0xdc,
        0xff,
      ),
      fc.constantFrom(0x61, 0x78, 0x30),
    );
    fc.assert(
      fc.property(
        fc.array(byte, { minLength: 0, maxLength: 40 }),
        fc.nat(7),
        fc.nat(40),
        (bytes, offset, cut) => {
          const b = Buffer.alloc(bytes.length + offset + 8, 0x61).subarray(offset);
          Buffer.from(bytes).copy(b, 0);
          for (let p = 0; p <= bytes.length; p++) {
            const end = Math.min(bytes.length, p + cut);
            let want = p;
            while (want < end && JSON_STOP[b[want] as number] === 0) want++;
            expect(plainEnd(b, p, end)).toBe(want);
            // copyPlain stops there too and copies exactly the bytes before the stop (after the input).
            const c = Buffer.alloc(2 * b.length + 8, 0x61).subarray(0);
            b.copy(c, 0);
            const at = b.length + 3;
            expect(copyPlain(c, p, end, at)).toBe(want);
            expect(c.subarray(at, at + want - p).equals(b.subarray(p, want))).toBe(true);
            expect(c.subarray(0, b.length).equals(b)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('hexWithin decodes as hexInto does and refuses exactly what it refuses', () => {
    const hexByte = fc.oneof(
      fc.constantFrom(...'0123456789abcdef'.split('').map((c) => c.charCodeAt(0))),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.array(hexByte, { minLength: 48, maxLength: 48 }),
        fc.nat(7),
        (half, digits, offset) => {
          const n = 2 * half;
          const b = Buffer.alloc(2 * n + n + offset + 4).subarray(offset);
          Buffer.from(digits.slice(0, 2 * n)).copy(b, 0);
          const want = Buffer.alloc(n);
          const ok = hexInto(b, 0, n, want, 0);
          expect(hexWithin(b, 0, n, 2 * n + 1)).toBe(ok);
          if (ok) expect(b.subarray(2 * n + 1, 3 * n + 1).equals(want)).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('sameWithin answers as a byte comparison does', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat(31),
        fc.nat(7),
        (bytes, flip, offset) => {
          const b = Buffer.alloc(80 + offset).subarray(offset);
          Buffer.from(bytes).copy(b, 1);
          Buffer.from(bytes).copy(b, 40);
          expect(sameWithin(b, 1, 40, 32)).toBe(true);
          b[40 + flip] = (b[40 + flip] as number) ^ 0x80;
          expect(sameWithin(b, 1, 40, 32)).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
