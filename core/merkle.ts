import { createHash, hash } from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 Merkle tree over SHA-256, written by hand (no library gets the domain
 * separation right by default). Leaves are `SHA-256(0x00 || data)`, interior nodes
 * `SHA-256(0x01 || left || right)`, the empty tree hashes to `SHA-256("")`. For the ledger a
 * leaf's data is the event's 32-byte chain hash.
 *
 * Sizes and indexes are plain numbers (exact up to 2^53); leaf indexes are 0-based.
 */

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

// One-shot hashing of the concatenation: a Hash object per call costs more than the copy.
const sha256 = (data: Buffer): Buffer => hash('sha256', data, 'buffer') as unknown as Buffer;

/** `SHA-256(0x00 || data)`. */
export function leafHash(data: Buffer): Buffer {
  return sha256(Buffer.concat([LEAF_PREFIX, data]));
}

/** `SHA-256(0x01 || left || right)`. */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(Buffer.concat([NODE_PREFIX, left, right]));
}

/** Root of the empty tree: `SHA-256("")`. */
export const EMPTY_ROOT = createHash('sha256').digest();

/** A perfect (complete, aligned) subtree: the `2^level` leaves starting at `index * 2^level`. */
export interface PerfectNode {
  level: number;
  index: number;
}

/** A range of leaves `[start, end)`. */
export type LeafRange = [start: number, end: number];

const pow2 = (level: number) => 2 ** level;

/** Largest power of two strictly smaller than `n` (n >= 2). */
export function largestPow2Below(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPow2(n: number): boolean {
  return n > 0 && pow2(Math.round(Math.log2(n))) === n;
}

/**
 * The perfect subtrees whose hashes, folded from the right, give `MTH(D[start:end])` for a range
 * that occurs in RFC 6962's recursion (start aligned to the largest power of two below its size).
 */
export function decomposeRange(start: number, end: number): PerfectNode[] {
  const out: PerfectNode[] = [];
  let lo = start;
  while (lo < end) {
    const n = end - lo;
    const k = isPow2(n) ? n : largestPow2Below(n);
    const level = Math.round(Math.log2(k));
    out.push({ level, index: lo / k });
    lo += k;
  }
  return out;
}

/** Folds subtree hashes from the right: `h0 ⊕ (h1 ⊕ (… ⊕ hk))`, i.e. RFC 6962 MTH of their concatenation. */
export function foldRight(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  let r = hashes[hashes.length - 1] as Buffer;
  for (let i = hashes.length - 2; i >= 0; i--) r = nodeHash(hashes[i] as Buffer, r);
  return r;
}

/** Ranges whose MTH hashes form the inclusion proof (audit path) of leaf `index` in a tree of `size`, leaf first. */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  if (!(index >= 0 && index < size))
    throw new RangeError(`leaf index ${index} is outside a tree of size ${size}`);
  const out: LeafRange[] = [];
  const path = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = largestPow2Below(n);
    if (m < k) {
      path(m, lo, lo + k);
      out.push([lo + k, hi]);
    } else {
      path(m - k, lo + k, hi);
      out.push([lo, lo + k]);
    }
  };
  path(index, 0, size);
  return out;
}

/** Ranges whose MTH hashes form the consistency proof from a tree of `oldSize` to one of `newSize`. */
export function consistencyProofRanges(oldSize: number, newSize: number): LeafRange[] {
  if (!(oldSize >= 0 && oldSize <= newSize)) throw new RangeError(`cannot prove ${oldSize} -> ${newSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  const out: LeafRange[] = [];
  const sub = (m: number, lo: number, hi: number, b: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!b) out.push([lo, hi]);
      return;
    }
    const k = largestPow2Below(n);
    if (m <= k) {
      sub(m, lo, lo + k, b);
      out.push([lo + k, hi]);
    } else {
      sub(m - k, lo + k, hi, false);
      out.push([lo, lo + k]);
    }
  };
  sub(oldSize, 0, newSize, true);
  return out;
}

/** Perfect subtrees needed to hash every range in `ranges` (deduplicated). */
export function perfectNodesFor(ranges: LeafRange[]): PerfectNode[] {
  const seen = new Map<string, PerfectNode>();
  for (const [lo, hi] of ranges) for (const p of decomposeRange(lo, hi)) seen.set(`${p.level}:${p.index}`, p);
  return [...seen.values()];
}

/** MTH of a range given a lookup of perfect subtree hashes. */
export function rangeHash(lo: number, hi: number, perfect: (p: PerfectNode) => Buffer): Buffer {
  return foldRight(decomposeRange(lo, hi).map(perfect));
}

/** RFC 9162 §2.1.3.2: does `proof` show leaf `index` with leaf hash `leaf` in the tree (`size`, `root`)? */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Buffer,
  proof: Buffer[],
  root: Buffer,
): boolean {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree (`newSize`, `newRoot`) extends (`oldSize`, `oldRoot`)? */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Buffer,
  newRoot: Buffer,
  proof: Buffer[],
): boolean {
  if (!(oldSize >= 0 && oldSize <= newSize)) return false;
  if (oldSize === newSize) return proof.length === 0 && oldRoot.equals(newRoot);
  if (oldSize === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = isPow2(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Buffer;
  let sr = path[0] as Buffer;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(oldRoot) && sr.equals(newRoot) && sn === 0;
}

/**
 * The compact range (frontier) of a growing tree: one hash per set bit of `size`, largest
 * subtree first. Appending costs one leaf hash plus one node hash per trailing 1-bit; every
 * perfect subtree completed on the way is reported to `onPerfect` (used to persist tiles).
 */
export class CompactRange {
  private stack: Buffer[];

  constructor(
    public size = 0,
    hashes: Buffer[] = [],
  ) {
    let bits = 0;
    for (let s = size; s > 0; s = Math.floor(s / 2)) bits += s % 2;
    if (bits !== hashes.length)
      throw new RangeError(`a compact range of size ${size} has ${bits} hashes, got ${hashes.length}`);
    this.stack = [...hashes];
  }

  /** Appends the leaf whose hash (already `leafHash`ed) is `leaf`. */
  append(leaf: Buffer, onPerfect?: (level: number, index: number, hash: Buffer) => void): void {
    const i = this.size;
    let h = leaf;
    let level = 0;
    while (Math.floor(i / pow2(level)) % 2 === 1) {
      h = nodeHash(this.stack.pop() as Buffer, h);
      level += 1;
      onPerfect?.(level, Math.floor(i / pow2(level)), h);
    }
    this.stack.push(h);
    this.size = i + 1;
  }

  /**
   * Appends `leaf` as {@link append} does, taking the node of each merge whose subtree starts at
   * or after leaf `first` from `nodes` at `at` (as ledger/chunk-nodes.ts computes them, in merge
   * order) instead of hashing it; returns where the next one is.
   */
  appendKnown(leaf: Buffer, nodes: Buffer, at: number, first: number): number {
    const i = this.size;
    let h = leaf;
    // One merge per trailing 1 bit of i; the merged subtree spans `span` leaves ending at i.
    for (let x = i, span = 2; x % 2 === 1; x = (x - 1) / 2, span *= 2) {
      const left = this.stack.pop() as Buffer;
      if (i + 1 - span >= first) {
        h = nodes.subarray(at, at + 32);
        at += 32;
      } else h = nodeHash(left, h);
    }
    this.stack.push(h);
    this.size = i + 1;
    return at;
  }

  /** The hashes of the compact range, largest subtree first. */
  hashes(): Buffer[] {
    return [...this.stack];
  }

  /** MTH of the whole tree so far. */
  root(): Buffer {
    return foldRight(this.stack);
  }

  /** The hashes concatenated (32 bytes each), for storage. */
  toBytes(): Buffer {
    return Buffer.concat(this.stack);
  }

  static fromBytes(size: number, bytes: Buffer): CompactRange {
    const hashes: Buffer[] = [];
    for (let o = 0; o < bytes.length; o += 32) hashes.push(Buffer.from(bytes.subarray(o, o + 32)));
    return new CompactRange(size, hashes);
  }
}

/** An in-memory tree over leaf hashes: for tests, bundles and small trees. */
export class MemoryMerkleTree {
  private readonly memo = new Map<string, Buffer>();

  constructor(private readonly leaves: Buffer[]) {}

  get size(): number {
    return this.leaves.length;
  }

  /** Hash of a perfect subtree. */
  perfect = (p: PerfectNode): Buffer => {
    if (p.level === 0) {
      const leaf = this.leaves[p.index];
      if (!leaf) throw new RangeError(`no leaf ${p.index}`);
      return leaf;
    }
    const key = `${p.level}:${p.index}`;
    let h = this.memo.get(key);
    if (!h) {
      h = nodeHash(
        this.perfect({ level: p.level - 1, index: p.index * 2 }),
        this.perfect({ level: p.level - 1, index: p.index * 2 + 1 }),
      );
      this.memo.set(key, h);
    }
    return h;
  };

  root(size = this.size): Buffer {
    return rangeHash(0, size, this.perfect);
  }

  inclusionProof(index: number, size = this.size): Buffer[] {
    return inclusionProofRanges(index, size).map(([lo, hi]) => rangeHash(lo, hi, this.perfect));
  }

  consistencyProof(oldSize: number, newSize = this.size): Buffer[] {
    return consistencyProofRanges(oldSize, newSize).map(([lo, hi]) => rangeHash(lo, hi, this.perfect));
  }
}
