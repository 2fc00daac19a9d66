import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainHash, payloadDigest } from '../core/hash-chain';
import { chainHashAround, saltedDigest } from '../ledger/chain-scratch';

/** The append path hashes through one reused buffer: it must give the reference functions' bytes. */
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b));
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ maxLength: 50 }));

describe('chain hashing through the scratch buffer', () => {
  it('saltedDigest is payloadDigest', () => {
    fc.assert(
      fc.property(bytes(16), text, (salt, payload) => {
        expect(saltedDigest(salt, payload)).toEqual(payloadDigest(salt, payload));
      }),
      { numRuns: 1000 },
    );
  });

  it('chainHashAround is chainHash of head + occurredAt + tail, for any seq up to 2^53', () => {
    fc.assert(
      fc.property(
        bytes(32),
        fc.maxSafeNat(),
        text,
        text,
        text,
        bytes(32),
        (prev, seq, head, at, tail, digest) => {
          expect(chainHashAround(prev, seq, head, at, tail, digest)).toEqual(
            chainHash(prev, seq, head + at + tail, digest),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('inputs larger than the buffer, and short ones after them, hash the same', () => {
    const big = '€'.repeat(100_000);
    const salt = Buffer.alloc(16, 7);
    const prev = Buffer.alloc(32, 1);
    expect(saltedDigest(salt, big)).toEqual(payloadDigest(salt, big));
    expect(chainHashAround(prev, 2 ** 40 + 3, big, 'x', big, prev)).toEqual(
      chainHash(prev, 2 ** 40 + 3, `${big}x${big}`, prev),
    );
    expect(saltedDigest(salt, 'a')).toEqual(payloadDigest(salt, 'a'));
  });
});
