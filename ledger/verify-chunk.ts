import { canonicalJson } from '../core/canonical-json';
import { canonicalEnvelope } from '../core/hash-chain';
import { same, sha256 } from './bytes';
import { copyEvent, copyField } from './copy-rows';

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

/** Writes the 32- (or 16-) byte bytea field `raw` (`\\x` + hex) at `out[at]`; false when it is not one. */
function byteaInto(raw: string, n: number, out: Buffer, at: number): boolean {
  return raw.length === 3 + 2 * n && raw.startsWith('\\\\x') && out.write(raw.slice(3), at, n, 'hex') === n;
}

/**
 * Checks a chunk of whole COPY lines of `stream`. Never throws on bad data: it reports
 * `clean: false`. The chain fields are decoded into one scratch buffer and hashed one-shot from
 * another, so a row costs its strings, its parsed context and payload, and its envelope text.
 */
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
  // hash, prev_hash, payload_digest, salt of this row; the last two hashes.
  const row = Buffer.alloc(112);
  const last = Buffer.alloc(64);
  const leafIn = Buffer.alloc(33);
  let input = Buffer.alloc(4096);
  let firstSeq = 0;
  let firstPrev: Buffer = EMPTY;
  const purgedSeqs: number[] = [];
  try {
    for (let i = 0; i < lines.length; i++) {
      const f = (lines[i] as string).split('\t');
      if (f.length !== 21) return dirty(lines.length);
      const seq = Number(f[0]);
      if (
        !byteaInto(f[15] as string, 32, row, 64) ||
        !byteaInto(f[16] as string, 32, row, 32) ||
        !byteaInto(f[17] as string, 32, row, 0)
      )
        return dirty(lines.length);
      const hasSalt = f[18] !== '\\N';
      if (hasSalt && !byteaInto(f[18] as string, 16, row, 96)) return dirty(lines.length);
      if (i === 0) firstSeq = seq;
      else if (seq !== firstSeq + i || !same(row, 32, last, 32, 32)) return dirty(lines.length);
      const envelope = canonicalEnvelope(copyEvent(stream, f));
      // hash = SHA-256(prev_hash || seq as u64 big-endian || envelope || payload_digest), as chainHash.
      const need = 72 + 3 * envelope.length;
      if (input.length < need) input = Buffer.alloc(2 * need);
      row.copy(input, 0, 32, 64);
      input.writeUInt32BE(Math.floor(seq / 0x100000000), 32);
      input.writeUInt32BE(seq >>> 0, 36);
      let n = 40 + input.write(envelope, 40, 'utf8');
      n += row.copy(input, n, 64, 96);
      if (!same(sha256(input.subarray(0, n)), 0, row, 0, 32)) return dirty(lines.length);
      const payload = copyField(f[19] as string);
      if (payload !== null) {
        // SHA-256(salt || canonical payload), as payloadDigest.
        const canonical = canonicalJson(JSON.parse(payload));
        const size = 16 + 3 * canonical.length;
        if (input.length < size) input = Buffer.alloc(2 * size);
        if (!hasSalt) return dirty(lines.length);
        row.copy(input, 0, 96, 112);
        const m = 16 + input.write(canonical, 16, 'utf8');
        if (!same(sha256(input.subarray(0, m)), 0, row, 64, 32)) return dirty(lines.length);
      } else if (f[20] !== 't') return dirty(lines.length);
      else purgedSeqs.push(seq);
      // Leaf hash SHA-256(0x00 || hash), as leafHash.
      row.copy(leafIn, 1, 0, 32);
      sha256(leafIn).copy(leaves, 32 * i);
      last.copy(last, 0, 32, 64);
      row.copy(last, 32, 0, 32);
      if (i === 0) firstPrev = Buffer.from(row.subarray(32, 64));
    }
  } catch {
    return dirty(lines.length);
  }
  return {
    clean: lines.length > 0,
    rows: lines.length,
    firstSeq,
    firstPrev,
    lastHash: Buffer.from(last.subarray(32, 64)),
    beforeLastHash: lines.length > 1 ? Buffer.from(last.subarray(0, 32)) : firstPrev,
    leaves,
    purgedSeqs,
  };
}
