import { put, sha256Into } from './bytes';
import { sha256SpanInto } from './sha256-span';

/**
 * The interior Merkle nodes a run of consecutive leaves completes on its own, so the thread
 * that folds a stream's leaves in order (core/merkle.ts CompactRange) does not hash them again:
 * appending leaves `first .. first+n-1` (0-based indexes) merges, at leaf i, one node per
 * trailing 1 bit of i; those whose subtree starts at or after `first` depend only on these
 * leaves. Written in the order the merges happen, 32 bytes each, as
 * `nodeHash(left, right) = SHA-256(0x01 || left || right)`.
 *
 * The plainly written reference, kept for the tests as an oracle independent of the checkers'
 * {@link chunkNodesInPlace} (it is itself tested against CompactRange's own merges).
 */
export function chunkNodes(leaves: Buffer, first: number): Buffer {
  const n = leaves.length / 32;
  const out = Buffer.alloc(32 * n); // never from the shared pool: it is transferred
  // Subtrees of these leaves not merged yet, lowest level on top, 32 bytes each.
  const stack = Buffer.alloc(32 * 64);
  let depth = 0;
  const input = Buffer.alloc(65);
  input[0] = 1;
  let o = 0;
  for (let k = 0; k < n; k++) {
    const i = first + k;
    put(leaves, 32 * k, 32, stack, 32 * depth);
    depth++;
    // The node above a run of trailing 1 bits of i spans `span` leaves ending at i. (Plain
    // arithmetic, not bit operators: leaf indexes may pass 2^31.)
    for (let x = i, span = 2; x % 2 === 1; x = (x - 1) / 2, span *= 2) {
      if (i + 1 - span < first) break;
      // The two subtrees on top of the stack are the left and right halves of the new node.
      put(stack, 32 * (depth - 2), 64, input, 1);
      sha256Into(input, out, o);
      put(out, o, 32, stack, 32 * (depth - 2));
      depth--;
      o += 32;
    }
  }
  return out.subarray(0, o);
}

/** Stack of {@link chunkNodesInPlace}: byte 0 spare, then 32 bytes per subtree (at most 64). */
const STACK = Buffer.alloc(1 + 32 * 64);
const STACK_VIEW = new DataView(STACK.buffer, STACK.byteOffset, STACK.length);

/**
 * {@link chunkNodes} (the same bytes), with its copies cut: the stack is the hash input (the
 * two subtrees on top are adjacent, and the byte below them is set to the 0x01 prefix for the
 * call and restored), and 32-byte moves go a word at a time. Both chunk checkers merge their
 * nodes here: written to `out` from `at` (by default a buffer of its own, as it is transferred;
 * `leaves.length - 32` bytes are enough), returned as that span of `out`.
 */
export function chunkNodesInPlace(
  leaves: Buffer,
  first: number,
  out: Buffer = Buffer.alloc(leaves.length),
  at = 0,
): Buffer {
  const n = leaves.length / 32;
  const outView = new DataView(out.buffer, out.byteOffset, out.length);
  const leafView = new DataView(leaves.buffer, leaves.byteOffset, leaves.length);
  const st = STACK_VIEW;
  // Subtrees of these leaves not merged yet, lowest level on top, at 1 + 32 * index.
  let depth = 0;
  let o = at;
  for (let k = 0; k < n; k++) {
    const i = first + k;
    for (let j = 0; j < 32; j += 4)
      st.setInt32(1 + 32 * depth + j, leafView.getInt32(32 * k + j, true), true);
    depth++;
    // As chunkNodes: one merge per trailing 1 bit of i whose subtree starts within this run.
    for (let x = i, span = 2; x % 2 === 1; x = (x - 1) / 2, span *= 2) {
      if (i + 1 - span < first) break;
      const left = 1 + 32 * (depth - 2);
      const below = STACK[left - 1] as number;
      STACK[left - 1] = 1;
      // The merge's hash input: 0x01 (the byte below the left subtree), left, right.
      sha256SpanInto(STACK, left - 1, left + 64, out, o);
      STACK[left - 1] = below;
      for (let j = 0; j < 32; j += 4) st.setInt32(left + j, outView.getInt32(o + j, true), true);
      depth--;
      o += 32;
    }
  }
  return out.subarray(at, o);
}
