import type { AuditEventInput } from '../core/audit-event';
import type { Signer } from '../core/signing';
import type { Database } from '../db/client';
import { Appender, type AfterCommit, type AppendOptions, type AppendResult } from './append';
import { OneTripAppender, type OneTripOptions } from './append-one-trip';
import type { ParsedHead } from '../core/ledger-head';
import {
  DEFAULT_CHECKPOINT_EVERY,
  checkpointSizes,
  createCheckpoint,
  type CheckpointInfo,
} from './checkpoint';
import { createHead } from './head';
import { LedgerValidationError } from './errors';
import { InlineCheckpoints } from './inline-checkpoint';
import type { LedgerflowMetrics } from '../runtime/metrics';

/** How a ledger object signs checkpoints. */
export interface LedgerOptions {
  /** Signs checkpoints; without it the ledger appends but cannot checkpoint. */
  signer?: Signer;
  /**
   * Append-path cadence: a signed checkpoint whenever a stream's head crosses a multiple of
   * this (needs `signer`). Default {@link DEFAULT_CHECKPOINT_EVERY} when a signer is given;
   * 0 turns the cadence off.
   */
  checkpointEvery?: number;
  /** Called when a cadence checkpoint fails (the events are committed regardless); default: one line on stderr. */
  onCheckpointError?: (err: unknown, stream: string) => void;
  /** Where appends and checkpoints are counted (the process's registry); default: not counted. */
  metrics?: LedgerflowMetrics;
}

/** The audit ledger over one database pool: the one way to write events and checkpoints. */
export interface Ledger {
  readonly db: Database;
  /** The metrics this ledger counts into; services holding the ledger count theirs there too. */
  readonly metrics?: LedgerflowMetrics;
  /** Appends one event (group-committed with concurrent appends to its stream); idempotent by key. */
  append(event: AuditEventInput, opts: AppendOptions): Promise<AppendResult>;
  /**
   * Appends one event in one database round trip (group-committed with concurrent ones; no
   * projection in its transaction): for appends a caller waits on, such as the API's read records.
   */
  appendOneTrip(event: AuditEventInput, opts: OneTripOptions): Promise<AppendResult>;
  /**
   * Appends events of one stream in one database round trip, all or none (with
   * `project`, the projection commits in the same statement): for activities whose event and
   * projection commit together, such as the loan workflow's records.
   */
  appendManyOneTrip(
    items: Array<{ event: AuditEventInput; idempotencyKey: string }>,
    opts: Omit<OneTripOptions, 'idempotencyKey'>,
  ): Promise<AppendResult[]>;
  /** Appends many events to one stream in one transaction: all or none. */
  appendMany(
    items: Array<{ event: AuditEventInput; idempotencyKey: string }>,
    opts?: Omit<AppendOptions, 'idempotencyKey'>,
  ): Promise<AppendResult[]>;
  /**
   * Signs a checkpoint of `stream` at its head (null when the stream is empty); a checkpoint
   * that already covers the head is returned with `created: false`.
   */
  checkpoint(opts?: { stream?: string; durable?: boolean }): Promise<CheckpointInfo | null>;
  /**
   * Signs the ledger head: checkpoints every stream whose head moved, then one head over all
   * streams, chained to the previous one (returned with `created: false` when nothing moved).
   */
  head(opts?: { durable?: boolean }): Promise<{ head: ParsedHead; created: boolean }>;
}

/** Builds the ledger object for `db`. Every writer (worker, CLI, API, benchmarks) builds one per pool. */
export function createLedger(db: Database, opts: LedgerOptions = {}): Ledger {
  const { signer, metrics } = opts;
  const every = signer ? Math.floor(opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY) : 0;
  const registeredKeys = new Set<string>();
  const onError =
    opts.onCheckpointError ??
    ((err: unknown, stream: string) =>
      process.stderr.write(`ledgerflow: checkpoint of stream ${stream} failed: ${(err as Error).message}\n`));

  // After a commit, never inside it: one checkpoint per multiple of `every` crossed, then a new
  // head over every stream (which also signs quiet streams whose head moved).
  // Sizes the append transaction signed itself (ledger/inline-checkpoint.ts) are skipped here.
  const inline = signer && every > 0 ? new InlineCheckpoints(every, signer, registeredKeys) : undefined;
  const afterCommit: AfterCommit = async (stream, first, last) => {
    const sizes = signer ? checkpointSizes(every, first, last) : [];
    if (!signer || sizes.length === 0) return;
    try {
      for (const atSize of inline?.remaining(stream, sizes) ?? sizes)
        await createCheckpoint(db, signer, { stream, durable: false, registeredKeys, atSize });
      await createHead(db, signer, { durable: false, registeredKeys, latestFor: stream });
      metrics?.ledgerCheckpoints.inc(sizes.length);
    } catch (err) {
      metrics?.ledgerCheckpointErrors.inc();
      onError(err, stream);
    }
  };
  const appender = new Appender(db, afterCommit, inline);
  const oneTrip = new OneTripAppender(db, besideAppends(afterCommit, every));

  return {
    db,
    metrics,
    append: (event, o) =>
      metrics
        ? measured(metrics, 'single', o.stream, () => appender.append(event, o))
        : appender.append(event, o),
    appendOneTrip: (event, o) =>
      metrics
        ? measured(metrics, 'single', o.stream, () => oneTrip.append(event, o))
        : oneTrip.append(event, o),
    appendManyOneTrip: (items, o) => {
      if (!metrics) return oneTrip.appendMany(items, o);
      metrics.ledgerAppendBatchSize.observe(items.length);
      return measured(metrics, 'batch', o.stream, () => oneTrip.appendMany(items, o));
    },
    appendMany: (items, o) => {
      if (!metrics) return appender.appendMany(items, o);
      metrics.ledgerAppendBatchSize.observe(items.length);
      return measured(metrics, 'batch', o?.stream, () => appender.appendMany(items, o));
    },
    async checkpoint(o = {}) {
      if (!signer)
        throw new LedgerValidationError('this ledger has no signing key: it cannot sign checkpoints');
      const cp = await createCheckpoint(db, signer, { ...o, registeredKeys });
      if (cp?.created) metrics?.ledgerCheckpoints.inc();
      return cp;
    },
    async head(o = {}) {
      if (!signer) throw new LedgerValidationError('this ledger has no signing key: it cannot sign a head');
      return createHead(db, signer, { ...o, registeredKeys });
    },
  };
}

/**
 * The cadence of the one-trip path (appends a caller waits on, such as API read records): run
 * beside the stream's next appends, one after another per stream, instead of before them, so a
 * checkpoint and head signing never sit in a request's path. The cadence is not durable anyway
 * (a checkpoint lost in a crash is re-derived from the committed events next time).
 */
function besideAppends(cadence: AfterCommit, every: number): AfterCommit {
  const running = new Map<string, Promise<void>>();
  return (stream, first, last) => {
    if (checkpointSizes(every, first, last).length === 0) return Promise.resolve();
    // The cadence catches its own errors (onCheckpointError): this chain never rejects.
    const next = (running.get(stream) ?? Promise.resolve()).then(() => cadence(stream, first, last));
    running.set(stream, next);
    void next.then(() => {
      if (running.get(stream) === next) running.delete(stream);
    });
    return Promise.resolve();
  };
}

/** Times one append call and counts its events by stream and outcome (or its failure). */
async function measured<R extends AppendResult | AppendResult[]>(
  m: LedgerflowMetrics,
  kind: 'single' | 'batch',
  stream: string | undefined,
  run: () => Promise<R>,
): Promise<R> {
  const end = m.ledgerAppendSeconds.startTimer({ kind });
  try {
    const r = await run();
    for (const one of Array.isArray(r) ? r : [r])
      m.ledgerAppends.inc({ stream: one.stream, outcome: one.created ? 'created' : 'duplicate' });
    return r;
  } catch (err) {
    m.ledgerAppendErrors.inc({ stream: stream ?? 'default' });
    m.ledgerAppends.inc({ stream: stream ?? 'default', outcome: 'error' });
    throw err;
  } finally {
    end();
  }
}
