import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  EMPTY_ROOT,
  MemoryMerkleTree,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../core/merkle';

const vectors = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/rfc6962/vectors.json'), 'utf8')) as {
  leaf_inputs_hex: string[];
  root_hashes_hex: string[];
  leaf_hashes_hex: string[];
};
const inputs = vectors.leaf_inputs_hex.map((h) => Buffer.from(h, 'hex'));
const leaves = inputs.map(leafHash);
const roots = vectors.root_hashes_hex.map((h) => Buffer.from(h, 'hex'));

describe('RFC 6962 Merkle tree', () => {
  it('reproduces the reference leaf hashes and every root for n = 0..8', () => {
    expect(leaves.map((l) => l.toString('hex'))).toEqual(vectors.leaf_hashes_hex);
    expect(EMPTY_ROOT.equals(roots[0] as Buffer)).toBe(true);
    for (let n = 0; n <= inputs.length; n++) {
      expect(new MemoryMerkleTree(leaves.slice(0, n)).root().toString('hex')).toBe(
        vectors.root_hashes_hex[n],
      );
      const cr = new CompactRange();
      for (const l of leaves.slice(0, n)) cr.append(l);
      expect(cr.root().toString('hex')).toBe(vectors.root_hashes_hex[n]);
    }
  });

  it('builds inclusion proofs that verify against the reference roots, and rejects tampered ones', () => {
    const tree = new MemoryMerkleTree(leaves);
    for (let n = 1; n <= leaves.length; n++) {
      const root = roots[n] as Buffer;
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i, n);
        expect(verifyInclusion(i, n, leaves[i] as Buffer, proof, root)).toBe(true);
        expect(verifyInclusion(i, n, leafHash(Buffer.from('x')), proof, root)).toBe(false);
        if (proof.length > 0) {
          const bad = proof.map((p, j) => (j === 0 ? nodeHash(p, p) : p));
          expect(verifyInclusion(i, n, leaves[i] as Buffer, bad, root)).toBe(false);
          expect(verifyInclusion(i, n, leaves[i] as Buffer, proof.slice(1), root)).toBe(false);
        }
        if (n > 1) expect(verifyInclusion((i + 1) % n, n, leaves[i] as Buffer, proof, root)).toBe(false);
      }
    }
    expect(verifyInclusion(0, 1, leaves[0] as Buffer, [], roots[1] as Buffer)).toBe(true);
    expect(verifyInclusion(1, 1, leaves[0] as Buffer, [], roots[1] as Buffer)).toBe(false);
  });

  it('builds consistency proofs between every pair of reference roots, and rejects wrong ones', () => {
    const tree = new MemoryMerkleTree(leaves);
    for (let m = 0; m <= leaves.length; m++) {
      for (let n = m; n <= leaves.length; n++) {
        const proof = tree.consistencyProof(m, n);
        expect(verifyConsistency(m, n, roots[m] as Buffer, roots[n] as Buffer, proof)).toBe(true);
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, roots[m - 1] as Buffer, roots[n] as Buffer, proof)).toBe(false);
          expect(verifyConsistency(m, n, roots[m] as Buffer, roots[n - 1] as Buffer, proof)).toBe(false);
          expect(verifyConsistency(m, n, roots[m] as Buffer, roots[n] as Buffer, proof.slice(0, -1))).toBe(
            false,
          );
        }
      }
    }
  });

  it('agrees with the compact range on larger trees and reports every completed subtree', () => {
    const many = Array.from({ length: 1000 }, (_, i) => leafHash(Buffer.from(String(i))));
    const tree = new MemoryMerkleTree(many);
    const cr = new CompactRange();
    const tiles: string[] = [];
    many.forEach((l, i) => {
      cr.append(l, (level, index, h) => {
        if (level === 8) tiles.push(h.toString('hex'));
        expect(h.equals(tree.perfect({ level, index }))).toBe(true);
      });
      if (i % 97 === 0) expect(cr.root().equals(tree.root(i + 1))).toBe(true);
    });
    expect(tiles).toHaveLength(3);
    const restored = CompactRange.fromBytes(cr.size, cr.toBytes());
    expect(restored.root().equals(tree.root())).toBe(true);
    for (const [m, n] of [
      [1, 1000],
      [255, 256],
      [256, 999],
      [511, 1000],
    ] as const) {
      expect(verifyConsistency(m, n, tree.root(m), tree.root(n), tree.consistencyProof(m, n))).toBe(true);
    }
    expect(verifyInclusion(777, 1000, many[777] as Buffer, tree.inclusionProof(777), tree.root())).toBe(true);
  });
});
