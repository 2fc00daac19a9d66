import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexInto, put } from '../ledger/bytes';

/** The chunk checkers' byte helpers against Node's own hex decoding and Buffer copies. */
describe('ledger byte helpers', () => {
  it('hexInto decodes lower-case hex exactly as Buffer.from(hex) does and refuses every other byte', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (bytes, at, bad) => {
          const hex = Buffer.from(Buffer.from(bytes).toString('hex'), 'latin1');
          const out = Buffer.alloc(bytes.length);
          expect(hexInto(hex, 0, bytes.length, out, 0)).toBe(true);
          expect(out.equals(Buffer.from(bytes))).toBe(true);
          // Any byte that is not a lower-case hex digit, anywhere, is refused.
          const i = at % hex.length;
          const edited = Buffer.from(hex);
          edited[i] = bad;
          const ok = /^[0-9a-f]$/.test(String.fromCharCode(bad));
          expect(hexInto(edited, 0, bytes.length, Buffer.alloc(bytes.length), 0)).toBe(ok);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('put copies like Buffer#copy, within one buffer and between two, at every length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.nat(300),
        fc.boolean(),
        (bytes, gap, within) => {
          const src = Buffer.alloc(bytes.length + gap + bytes.length + 8);
          Buffer.from(bytes).copy(src, 3);
          const want = Buffer.from(src);
          Buffer.from(bytes).copy(want, 3 + bytes.length + gap);
          const dst = within ? src : Buffer.from(src);
          const end = put(src, 3, bytes.length, dst, 3 + bytes.length + gap);
          expect(end).toBe(3 + 2 * bytes.length + gap);
          expect(dst.equals(want)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
