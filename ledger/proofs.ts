import { parseCheckpoint, verifyCheckpointSignature, type ParsedCheckpoint } from '../core/checkpoint';
import {
  consistencyProofRanges,
  decomposeRange,
  foldRight,
  inclusionProofRanges,
  leafHash,
  verifyConsistency,
  verifyInclusion,
  type LeafRange,
} from '../core/merkle';
import type { PublicKeyInfo } from '../core/signing';
import type { Database } from '../db/client';
import { DbTreeReader } from './checkpoint';
import { LedgerValidationError } from './errors';

/** An inclusion proof of one event against a signed checkpoint. All hashes hex. */
export interface InclusionProofDoc {
  type: 'inclusion';
  stream: string;
  seq: number;
  /** 0-based leaf index: seq - 1. */
  leafIndex: number;
  treeSize: number;
  /** The event's chain hash (the leaf's data); the leaf hash is SHA-256(0x00 || eventHash). */
  eventHash: string;
  proof: string[];
  rootHash: string;
  checkpoint: string;
}

/** A consistency proof between two signed checkpoints of one stream. All hashes hex. */
export interface ConsistencyProofDoc {
  type: 'consistency';
  stream: string;
  fromSize: number;
  toSize: number;
  fromRoot: string;
  toRoot: string;
  proof: string[];
  fromCheckpoint: string;
  toCheckpoint: string;
}

async function checkpointAt(db: Database, stream: string, size?: number): Promise<ParsedCheckpoint> {
  const r = await db.$client.query<{ checkpoint: string }>(
    size === undefined
      ? 'SELECT checkpoint FROM ledger_checkpoints WHERE stream = $1 ORDER BY tree_size DESC LIMIT 1'
      : 'SELECT checkpoint FROM ledger_checkpoints WHERE stream = $1 AND tree_size = $2',
    size === undefined ? [stream] : [stream, size],
  );
  const text = r.rows[0]?.checkpoint;
  if (!text) {
    throw new LedgerValidationError(
      size === undefined
        ? `stream ${stream} has no checkpoint yet (run "ledgerflow ledger checkpoint")`
        : `stream ${stream} has no checkpoint at tree size ${size}`,
    );
  }
  return parseCheckpoint(text);
}

/** Hashes of `ranges` (RFC 6962 subtrees) read through `reader` (its cache serves many proofs). */
export async function hashRanges(reader: DbTreeReader, ranges: LeafRange[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const [lo, hi] of ranges) {
    const parts: Buffer[] = [];
    for (const p of decomposeRange(lo, hi)) parts.push(await reader.perfect(p));
    out.push(foldRight(parts));
  }
  return out;
}

/** Inclusion proof of event `seq` against the checkpoint at `treeSize` (default: the latest). */
export async function proveInclusion(
  db: Database,
  opts: { stream?: string; seq: number; treeSize?: number },
): Promise<InclusionProofDoc> {
  const stream = opts.stream ?? 'default';
  const cp = await checkpointAt(db, stream, opts.treeSize);
  if (!(Number.isInteger(opts.seq) && opts.seq >= 1 && opts.seq <= cp.treeSize)) {
    throw new LedgerValidationError(
      `seq ${opts.seq} is not covered by the checkpoint at tree size ${cp.treeSize}`,
    );
  }
  const ev = await db.$client.query<{ hash: Buffer }>(
    'SELECT hash FROM ledger_events WHERE stream = $1 AND seq = $2',
    [stream, opts.seq],
  );
  const eventHash = ev.rows[0]?.hash;
  if (!eventHash) throw new LedgerValidationError(`stream ${stream} has no event ${opts.seq}`);
  const proof = await hashRanges(
    new DbTreeReader(db, stream),
    inclusionProofRanges(opts.seq - 1, cp.treeSize),
  );
  return {
    type: 'inclusion',
    stream,
    seq: opts.seq,
    leafIndex: opts.seq - 1,
    treeSize: cp.treeSize,
    eventHash: eventHash.toString('hex'),
    proof: proof.map((p) => p.toString('hex')),
    rootHash: cp.rootHash.toString('hex'),
    checkpoint: cp.text,
  };
}

/** Consistency proof between the checkpoints at `fromSize` and `toSize` (default: the latest). */
export async function proveConsistency(
  db: Database,
  opts: { stream?: string; fromSize: number; toSize?: number },
): Promise<ConsistencyProofDoc> {
  const stream = opts.stream ?? 'default';
  const to = await checkpointAt(db, stream, opts.toSize);
  const from = await checkpointAt(db, stream, opts.fromSize);
  if (from.treeSize > to.treeSize) throw new LedgerValidationError('--from-size must not exceed --to-size');
  const proof = await hashRanges(
    new DbTreeReader(db, stream),
    consistencyProofRanges(from.treeSize, to.treeSize),
  );
  return {
    type: 'consistency',
    stream,
    fromSize: from.treeSize,
    toSize: to.treeSize,
    fromRoot: from.rootHash.toString('hex'),
    toRoot: to.rootHash.toString('hex'),
    proof: proof.map((p) => p.toString('hex')),
    fromCheckpoint: from.text,
    toCheckpoint: to.text,
  };
}

/** Result of checking a proof document offline. */
export interface ProofCheck {
  valid: boolean;
  /** Whether the checkpoint(s) were signed by a trusted key (null when no trusted keys were given). */
  signatureTrusted: boolean | null;
  reason: string | null;
}

function checkSig(
  text: string,
  size: number,
  root: string,
  trusted?: Map<string, PublicKeyInfo>,
): string | null | true {
  const cp = parseCheckpoint(text);
  if (cp.treeSize !== size || cp.rootHash.toString('hex') !== root)
    return 'the proof does not match its checkpoint';
  if (!trusted) return null;
  const v = verifyCheckpointSignature(cp, trusted);
  return v.ok ? true : `checkpoint signature invalid: ${v.reason}`;
}

/** Verifies an inclusion or consistency proof document, and its checkpoint signatures against `trusted` when given. */
export function verifyProofDoc(
  doc: InclusionProofDoc | ConsistencyProofDoc,
  trusted?: Map<string, PublicKeyInfo>,
): ProofCheck {
  const hex = (s: string) => Buffer.from(s, 'hex');
  try {
    const sigs: Array<string | null | true> = [];
    let ok: boolean;
    if (doc.type === 'inclusion') {
      sigs.push(checkSig(doc.checkpoint, doc.treeSize, doc.rootHash, trusted));
      ok = verifyInclusion(
        doc.leafIndex,
        doc.treeSize,
        leafHash(hex(doc.eventHash)),
        doc.proof.map(hex),
        hex(doc.rootHash),
      );
      ok &&= doc.leafIndex === doc.seq - 1;
    } else {
      sigs.push(checkSig(doc.fromCheckpoint, doc.fromSize, doc.fromRoot, trusted));
      sigs.push(checkSig(doc.toCheckpoint, doc.toSize, doc.toRoot, trusted));
      ok = verifyConsistency(
        doc.fromSize,
        doc.toSize,
        hex(doc.fromRoot),
        hex(doc.toRoot),
        doc.proof.map(hex),
      );
    }
    const bad = sigs.find((s): s is string => typeof s === 'string');
    if (bad)
      return {
        valid: false,
        signatureTrusted: bad.startsWith('checkpoint signature') ? false : null,
        reason: bad,
      };
    const signatureTrusted = trusted ? true : null;
    return ok
      ? { valid: true, signatureTrusted, reason: null }
      : { valid: false, signatureTrusted, reason: 'the proof does not verify' };
  } catch (err) {
    return { valid: false, signatureTrusted: null, reason: (err as Error).message };
  }
}
