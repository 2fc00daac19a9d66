import { canonicalJson } from '../core/canonical-json';
import type { CommittedEvent } from '../core/audit-event';
import { verifyCheckpointSignature, type ParsedCheckpoint } from '../core/checkpoint';
import { GENESIS_HASH, canonicalEnvelope, chainHash, payloadDigest } from '../core/hash-chain';
import { CompactRange, leafHash } from '../core/merkle';
import type { PublicKeyInfo } from '../core/signing';

/**
 * The verification rules, independent of where events come from (database or bundle). Feed a
 * stream's events in seq order with {@link StreamVerifier.push}, then call `finish()`. Memory is
 * constant apart from the stream's checkpoint list: one look-ahead row and a compact range.
 */

export type Fault =
  | 'payload changed'
  | 'payload missing'
  | 'event changed'
  | 'event deleted'
  | 'event inserted'
  | 'order changed'
  | 'checkpoint signature invalid'
  | 'tail truncated after a checkpoint'
  | 'stream removed'
  | 'stream added'
  | 'malformed line'
  | 'head chain broken';

/** One stored event as the verifier sees it: committed columns, chain columns and the payload side. */
export interface VerifyRow {
  event: CommittedEvent;
  /** Parsed payload, or null when the payload row is absent. */
  payload: unknown;
  salt: Buffer | null;
  /** A purge record exists for this event. */
  purged: boolean;
  payloadDigest: Buffer;
  prevHash: Buffer;
  hash: Buffer;
}

export interface StreamVerifyResult {
  valid: boolean;
  stream: string;
  eventsChecked: number;
  firstBadSeq: number | null;
  fault: Fault | null;
  /** Human-readable explanation of the fault. */
  detail: string | null;
  /** When the fault can only be narrowed to a range (e.g. a rewritten and re-signed history): [first, last] seq. */
  suspectRange: [number, number] | null;
  headSeq: number;
  checkpointsChecked: number;
  /** Largest tree size whose root is proven by a trusted signature or the trusted checkpoint. */
  provenTreeSize: number;
  trustedCheckpointSize: number | null;
  warnings: string[];
}

export interface StreamVerifierOptions {
  stream: string;
  /** First seq to verify (default 1). */
  fromSeq?: number;
  /** Stored hash of `fromSeq - 1` (genesis when starting at 1). */
  startPrev?: Buffer;
  /** Compact range over leaves `1 .. fromSeq-1` (empty when starting at 1). */
  startRange?: CompactRange;
  /** The stream's stored checkpoints, ascending tree size. */
  checkpoints: ParsedCheckpoint[];
  /** Keys whose signatures count. */
  trustedKeys: Map<string, PublicKeyInfo>;
  /** True when `trustedKeys` were pinned outside the database; database keys alone prove nothing. */
  keysPinned: boolean;
  /** A checkpoint trusted from outside (already signature-checked by the caller when keys are pinned). */
  trustedCheckpoint?: ParsedCheckpoint | null;
}

interface Pending {
  size: number;
  from: number;
  reason: string;
}

export class StreamVerifier {
  private readonly stream: string;
  private expected: number;
  private prev: Buffer;
  private prevPrev: Buffer | null = null;
  private readonly range: CompactRange;
  private held: VerifyRow | null = null;
  private checked = 0;
  private cpIndex = 0;
  private cpChecked = 0;
  private proven = 0;
  private pendingSig: Pending | null = null;
  private result: Omit<
    StreamVerifyResult,
    | 'headSeq'
    | 'checkpointsChecked'
    | 'eventsChecked'
    | 'provenTreeSize'
    | 'warnings'
    | 'trustedCheckpointSize'
  > | null = null;
  private readonly warnings: string[] = [];

  constructor(private readonly opts: StreamVerifierOptions) {
    this.stream = opts.stream;
    this.expected = opts.fromSeq ?? 1;
    this.prev = opts.startPrev ?? GENESIS_HASH;
    this.range = opts.startRange ?? new CompactRange();
    if (!opts.keysPinned)
      this.warnings.push(
        'no pinned keys: checkpoint signatures were checked against keys stored in the database, which prove nothing',
      );
    while (
      this.cpIndex < opts.checkpoints.length &&
      (opts.checkpoints[this.cpIndex] as ParsedCheckpoint).treeSize < this.expected
    )
      this.cpIndex++;
  }

  /** True once a fault was found; later rows are ignored. */
  get done(): boolean {
    return this.result !== null;
  }

  push(row: VerifyRow): void {
    if (this.result) return;
    if (this.held) this.check(this.held, row);
    this.held = row;
  }

  /**
   * Feeds a chunk of rows already checked on their own (ledger/verify-chunk.ts: hashes, links
   * inside the chunk, payloads). Returns false, consuming nothing, when the chunk does not
   * continue the chain here (first seq or prev_hash); then feed its rows with {@link push},
   * which names the fault.
   */
  pushChecked(c: {
    rows: number;
    firstSeq: number;
    firstPrev: Buffer;
    lastHash: Buffer;
    beforeLastHash: Buffer;
    leaves: Buffer;
    /** Interior nodes the chunk's leaves complete on their own (ledger/chunk-nodes.ts); hashed here when absent. */
    nodes?: Buffer;
  }): boolean {
    if (this.result) return true;
    if (this.held || c.rows === 0 || c.firstSeq !== this.expected || !c.firstPrev.equals(this.prev))
      return false;
    const first = this.expected - 1;
    let at = 0;
    for (let i = 0; i < c.rows && !this.result; i++) {
      const s = this.expected;
      this.checked++;
      this.expected = s + 1;
      const leaf = c.leaves.subarray(32 * i, 32 * i + 32);
      if (c.nodes) at = this.range.appendKnown(leaf, c.nodes, at, first);
      else this.range.append(leaf);
      this.checkCheckpoints(s);
    }
    this.prevPrev = c.rows > 1 ? c.beforeLastHash : this.prev;
    this.prev = c.lastHash;
    return true;
  }

  finish(): StreamVerifyResult {
    if (this.held && !this.result) this.check(this.held, undefined);
    this.held = null;
    const head = this.expected - 1;
    if (!this.result) this.checkTail(head);
    if (!this.result && this.pendingSig) {
      const p = this.pendingSig;
      this.fail(
        'checkpoint signature invalid',
        p.from,
        `${p.reason}; events after seq ${p.from - 1} are not covered by any trusted checkpoint`,
        [p.from, Math.max(p.size, head)],
      );
    }
    const tc = this.opts.trustedCheckpoint;
    const r = this.result ?? {
      valid: true,
      stream: this.stream,
      firstBadSeq: null,
      fault: null,
      detail: null,
      suspectRange: null,
    };
    return {
      ...r,
      eventsChecked: this.checked,
      headSeq: head,
      checkpointsChecked: this.cpChecked,
      provenTreeSize: this.proven,
      trustedCheckpointSize: tc ? tc.treeSize : null,
      warnings: this.warnings,
    };
  }

  /**
   * A bundle line that is not a well-formed event (not canonical I-JSON, wrong members): checks
   * the held row as the last one, then reports the line at the next expected seq.
   */
  reject(detail: string): void {
    if (this.held && !this.result) this.check(this.held, undefined);
    this.held = null;
    this.fail('malformed line', this.expected, detail);
  }

  /** Overrides a valid result with a fault found outside the chain (e.g. a stream no head lists). */
  failExternally(fault: Fault, seq: number | null, detail: string): void {
    this.fail(fault, seq, detail);
  }

  private fail(
    fault: Fault,
    seq: number | null,
    detail: string,
    suspectRange: [number, number] | null = null,
  ): void {
    if (this.result) return;
    this.result = { valid: false, stream: this.stream, firstBadSeq: seq, fault, detail, suspectRange };
  }

  /** The event hash `row` would have at `seq` after `prev`; empty (never equal) when its fields cannot be canonicalised. */
  private hashAt(row: VerifyRow, prev: Buffer, seq: number): Buffer {
    try {
      const event = seq === row.event.seq ? row.event : { ...row.event, seq };
      return chainHash(prev, seq, canonicalEnvelope(event), row.payloadDigest);
    } catch {
      return Buffer.alloc(0);
    }
  }

  private check(row: VerifyRow, next: VerifyRow | undefined): void {
    const s = this.expected;
    const seq = row.event.seq;
    if (seq !== s) {
      if (seq > s) this.fail('event deleted', s, `seq ${s} is missing (next stored event is seq ${seq})`);
      else this.fail('order changed', s, `seq ${seq} appears where seq ${s} was expected`);
      return;
    }
    const h = this.hashAt(row, this.prev, s);
    if (!h.equals(row.hash) || !row.prevHash.equals(this.prev)) {
      this.classify(row, next, h);
      return;
    }
    if (row.payload !== null && row.payload !== undefined) {
      let digest: Buffer | null;
      try {
        digest = row.salt ? payloadDigest(row.salt, canonicalJson(row.payload)) : null;
      } catch {
        digest = null;
      }
      if (!digest || !digest.equals(row.payloadDigest)) {
        this.fail('payload changed', s, `the payload of seq ${s} does not match its committed digest`);
        return;
      }
    } else if (!row.purged) {
      this.fail('payload missing', s, `the payload of seq ${s} is gone and no signed purge event covers it`);
      return;
    }
    this.prevPrev = this.prev;
    this.prev = row.hash;
    this.checked++;
    this.expected = s + 1;
    this.range.append(leafHash(row.hash));
    this.checkCheckpoints(s);
  }

  /** Names the fault at seq `s` whose recomputed hash `h` or link does not match. */
  private classify(row: VerifyRow, next: VerifyRow | undefined, h: Buffer): void {
    const s = this.expected;
    if (row.prevHash.equals(this.prev)) {
      this.fail(
        'event changed',
        s,
        `the committed fields of seq ${s} were changed: its hash does not recompute`,
      );
      return;
    }
    if (
      this.prevPrev &&
      row.prevHash.equals(this.prevPrev) &&
      this.hashAt(row, row.prevHash, s - 1).equals(row.hash)
    ) {
      this.fail(
        'event inserted',
        s - 1,
        `seq ${s - 1} was inserted: seq ${s} was chained directly after seq ${s - 2}`,
      );
      return;
    }
    if (this.hashAt(row, row.prevHash, s + 1).equals(row.hash)) {
      if (next && this.hashAt(next, this.prev, s).equals(next.hash)) {
        this.fail('order changed', s, `seqs ${s} and ${s + 1} were swapped`);
      } else {
        this.fail('event deleted', s, `the event at seq ${s} was deleted and later events renumbered`);
      }
      return;
    }
    if (this.hashAt(row, row.prevHash, s).equals(row.hash) && s > 1) {
      this.fail(
        'event changed',
        s - 1,
        `seq ${s - 1} was changed and its hash recomputed; seq ${s} still links to the original`,
      );
      return;
    }
    void h;
    this.fail('event changed', s, `seq ${s} does not link to seq ${s - 1} and its hash does not recompute`);
  }

  /** Checks every checkpoint (stored and trusted) whose tree size was just reached. */
  private checkCheckpoints(size: number): void {
    const cps = this.opts.checkpoints;
    while (
      !this.result &&
      this.cpIndex < cps.length &&
      (cps[this.cpIndex] as ParsedCheckpoint).treeSize <= size
    ) {
      const cp = cps[this.cpIndex++] as ParsedCheckpoint;
      if (cp.treeSize !== size) continue; // below fromSeq's range; cannot be recomputed
      this.cpChecked++;
      const root = this.range.root();
      const sig = verifyCheckpointSignature(cp, this.opts.trustedKeys);
      const rootOk = root.equals(cp.rootHash) && cp.stream === this.stream;
      if (sig.ok && rootOk) {
        if (this.pendingSig) {
          // A later honest checkpoint proves the events; only the earlier checkpoint was tampered with.
          this.fail('checkpoint signature invalid', this.pendingSig.from, this.pendingSig.reason);
          return;
        }
        if (this.opts.keysPinned) this.proven = size;
        continue;
      }
      if (sig.ok && !rootOk) {
        const from = Math.max(this.proven, this.opts.fromSeq ? this.opts.fromSeq - 1 : 0) + 1;
        this.fail(
          'event changed',
          from,
          `the checkpoint at tree size ${size} (validly signed by ${sig.keyId}) does not match the events: the history in seqs ${from}..${size} was rewritten`,
          [from, size],
        );
        return;
      }
      if (!this.pendingSig) {
        this.pendingSig = {
          size,
          from: this.proven + 1,
          reason: `checkpoint at tree size ${size}: ${sig.ok ? '' : sig.reason}${rootOk ? '' : ' and its root does not match the events'}`,
        };
      }
    }
    const tc = this.opts.trustedCheckpoint;
    if (!this.result && tc && tc.treeSize === size) {
      if (!this.range.root().equals(tc.rootHash)) {
        const from = this.proven + 1;
        this.fail(
          'event changed',
          from,
          `the events are not consistent with the trusted checkpoint at tree size ${size}: the history in seqs ${from}..${size} was rewritten`,
          [from, size],
        );
      } else if (this.proven < size) {
        this.proven = size;
        if (this.pendingSig)
          this.fail('checkpoint signature invalid', this.pendingSig.from, this.pendingSig.reason);
      }
    }
  }

  private checkTail(head: number): void {
    const cps = this.opts.checkpoints;
    const beyond = cps.filter((c) => c.treeSize > head);
    const tc = this.opts.trustedCheckpoint;
    const signedBeyond = beyond.find((c) => verifyCheckpointSignature(c, this.opts.trustedKeys).ok);
    const covered = tc && tc.treeSize > head ? tc.treeSize : signedBeyond?.treeSize;
    if (covered !== undefined) {
      if (head === 0)
        this.fail(
          'stream removed',
          1,
          `a trusted root covers ${covered} events of this stream but none are stored`,
        );
      else
        this.fail(
          'tail truncated after a checkpoint',
          head + 1,
          `a trusted root covers ${covered} events but only ${head} are stored`,
        );
    } else if (beyond[0]) {
      const first = this.proven + 1;
      this.fail(
        'checkpoint signature invalid',
        first <= head ? first : null,
        `checkpoint at tree size ${beyond[0].treeSize} is not validly signed and is beyond the head (${head})`,
      );
    }
  }
}
