import { canonicalJson } from '../core/canonical-json';
import { canonicalEnvelope, chainHash, payloadDigest } from '../core/hash-chain';
import { leafHash } from '../core/merkle';
import { parseCopyLine } from './copy-rows';
import { toVerifyRow } from './verify-rows';

/**
 * What a chunk of consecutive rows proves on its own (no chain state needed, so chunks are
 * checked in parallel): every row's hash recomputes from its own stored prev_hash, every row
 * links to the one before it in the chunk, seqs are consecutive, and every payload matches its
 * digest or is absent under a purge record. The caller links the chunk to the chain (first
 * row's seq and prev_hash) and folds the leaves into the Merkle range.
 */
export interface ChunkResult {
  /** True when every row passed; false sends the chunk through the row-by-row verifier, which names the fault. */
  clean: boolean;
  rows: number;
  firstSeq: number;
  firstPrev: Buffer;
  /** Stored hashes of the last two rows (the chain's prev and prev-prev after this chunk). */
  lastHash: Buffer;
  beforeLastHash: Buffer;
  /** Leaf hashes (32 bytes per row). */
  leaves: Buffer;
  /** Seqs of rows accepted without a payload because they are marked purged (the caller checks their proof). */
  purgedSeqs: number[];
}

const EMPTY: Buffer = Buffer.alloc(0);

/** Checks a chunk of whole COPY lines of `stream`. Never throws on bad data: it reports `clean: false`. */
export function checkChunk(stream: string, buf: Buffer): ChunkResult {
  const text = buf.toString('utf8');
  const dirty = (rows: number): ChunkResult => ({
    clean: false,
    rows,
    firstSeq: 0,
    firstPrev: EMPTY,
    lastHash: EMPTY,
    beforeLastHash: EMPTY,
    leaves: EMPTY,
    purgedSeqs: [],
  });
  const lines = text.split('\n');
  lines.pop();
  const leaves = Buffer.alloc(32 * lines.length); // never from the shared pool: it is transferred
  let firstSeq = 0;
  let firstPrev: Buffer = EMPTY;
  let prevHash: Buffer = EMPTY;
  let beforeLast: Buffer = EMPTY;
  const purgedSeqs: number[] = [];
  try {
    for (let i = 0; i < lines.length; i++) {
      const row = toVerifyRow(stream, parseCopyLine(lines[i] as string));
      const seq = row.event.seq;
      if (i === 0) {
        firstSeq = seq;
        firstPrev = row.prevHash;
      } else if (seq !== firstSeq + i || !row.prevHash.equals(prevHash)) return dirty(lines.length);
      const h = chainHash(row.prevHash, seq, canonicalEnvelope(row.event), row.payloadDigest);
      if (!h.equals(row.hash)) return dirty(lines.length);
      if (row.payload !== null && row.payload !== undefined) {
        if (!row.salt || !payloadDigest(row.salt, canonicalJson(row.payload)).equals(row.payloadDigest))
          return dirty(lines.length);
      } else if (!row.purged) return dirty(lines.length);
      else purgedSeqs.push(seq);
      leafHash(row.hash).copy(leaves, 32 * i);
      beforeLast = prevHash;
      prevHash = row.hash;
    }
  } catch {
    return dirty(lines.length);
  }
  return {
    clean: lines.length > 0,
    rows: lines.length,
    firstSeq,
    firstPrev,
    lastHash: prevHash,
    beforeLastHash: beforeLast,
    leaves,
    purgedSeqs,
  };
}
