import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactRange, leafHash } from '../core/merkle';
import { chunkNodes, chunkNodesInPlace } from '../ledger/chunk-nodes';

/**
 * Worker threads hash the interior Merkle nodes a chunk of leaves completes on its own; the
 * thread folding the stream takes them instead of hashing. The range must come out exactly as
 * when every node is hashed in order, wherever the chunks are cut.
 */
const leaf = (i: number) => leafHash(createHash('sha256').update(`event ${i}`).digest());

describe('interior nodes precomputed per chunk', () => {
  it('give the same compact range and root after every leaf, for any cuts and start', () => {
    fc.assert(
      fc.property(
        fc.nat(300),
        fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 12 }),
        (start, sizes) => {
          const plain = new CompactRange();
          for (let i = 0; i < start; i++) plain.append(leaf(i));
          const known = CompactRange.fromBytes(plain.size, plain.toBytes());
          let next = start;
          for (const n of sizes) {
            const leaves = Buffer.concat(Array.from({ length: n }, (_, k) => leaf(next + k)));
            const nodes = chunkNodes(leaves, next);
            let at = 0;
            for (let k = 0; k < n; k++) {
              plain.append(leaves.subarray(32 * k, 32 * k + 32));
              at = known.appendKnown(leaves.subarray(32 * k, 32 * k + 32), nodes, at, next);
              expect(known.size).toBe(plain.size);
              expect(known.toBytes().equals(plain.toBytes())).toBe(true);
            }
            // Every precomputed node was used, in order.
            expect(at).toBe(nodes.length);
            expect(known.root().equals(plain.root())).toBe(true);
            next += n;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a wrong node changes the root (the nodes are used, not recomputed)', () => {
    const leaves = Buffer.concat(Array.from({ length: 8 }, (_, k) => leaf(k)));
    const nodes = Buffer.from(chunkNodes(leaves, 0));
    expect(nodes.length).toBe(7 * 32);
    nodes.writeUInt8((nodes.at(-1) as number) ^ 1, nodes.length - 1);
    const known = new CompactRange();
    const plain = new CompactRange();
    let at = 0;
    for (let k = 0; k < 8; k++) {
      at = known.appendKnown(leaves.subarray(32 * k, 32 * k + 32), nodes, at, 0);
      plain.append(leaves.subarray(32 * k, 32 * k + 32));
    }
    expect(known.root().equals(plain.root())).toBe(false);
  });

  it('chunkNodesInPlace gives the bytes chunkNodes gives, for any start and length', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.integer({ min: 0, max: 300 }), fc.nat(7), (first, n, offset) => {
        // Leaves at any offset of their memory, as a pooled or sliced buffer has them.
        const leaves = Buffer.alloc(32 * n + offset).subarray(offset);
        for (let k = 0; k < n; k++) leaf(first + k).copy(leaves, 32 * k);
        expect(chunkNodesInPlace(leaves, first).equals(chunkNodes(leaves, first))).toBe(true);
      }),
      { numRuns: 300 },
    );
    // Leaf indexes past 2^31 and 2^32 (no bit operators on them).
    for (const first of [2 ** 31 - 5, 2 ** 32 - 7, 2 ** 40 + 3]) {
      const leaves = Buffer.concat(Array.from({ length: 40 }, (_, k) => leaf(k)));
      expect(chunkNodesInPlace(leaves, first).equals(chunkNodes(leaves, first))).toBe(true);
    }
  });

  it('chunkNodesInPlace into a given buffer writes the same bytes from `at` and nothing else', () => {
    fc.assert(
      fc.property(
        fc.nat(5000),
        fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 1, maxLength: 5 }),
        fc.nat(64),
        (first, sizes, at) => {
          // Runs written back to back into one buffer, as the bundle checker does per segment.
          const total = sizes.reduce((a, n) => a + n, 0);
          const out = Buffer.alloc(at + 32 * total + 32, 0xa5);
          let o = at;
          let next = first;
          const want: Buffer[] = [];
          for (const n of sizes) {
            const leaves = Buffer.concat(Array.from({ length: n }, (_, k) => leaf(next + k)));
            const nodes = chunkNodesInPlace(leaves, next, out, o);
            expect(nodes.buffer).toBe(out.buffer);
            expect(nodes.byteOffset).toBe(out.byteOffset + o);
            const reference = chunkNodes(leaves, next);
            expect(nodes.equals(reference)).toBe(true);
            want.push(reference);
            o += nodes.length;
            next += n;
          }
          // Earlier runs are not overwritten by later ones, and bytes outside stay as they were.
          expect(out.subarray(at, o).equals(Buffer.concat(want))).toBe(true);
          expect(out.subarray(0, at).every((b) => b === 0xa5)).toBe(true);
          expect(out.subarray(o).every((b) => b === 0xa5)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
