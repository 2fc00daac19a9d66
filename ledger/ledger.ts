import type { AuditEventInput } from '../core/audit-event';
import type { Signer } from '../core/signing';
import type { Database } from '../db/client';
import { Appender, type AppendOptions, type AppendResult } from './append';
import { DEFAULT_CHECKPOINT_EVERY, checkpointDue, createCheckpoint, type CheckpointInfo } from './checkpoint';
import { LedgerValidationError } from './errors';

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
}

/** The audit ledger over one database pool: the one way to write events and checkpoints. */
export interface Ledger {
  readonly db: Database;
  /** Appends one event (group-committed with concurrent appends to its stream); idempotent by key. */
  append(event: AuditEventInput, opts: AppendOptions): Promise<AppendResult>;
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
}

/** Builds the ledger object for `db`. Every writer (worker, CLI, API, benchmarks) builds one per pool. */
export function createLedger(db: Database, opts: LedgerOptions = {}): Ledger {
  const { signer } = opts;
  const every = signer ? Math.floor(opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY) : 0;
  const registeredKeys = new Set<string>();
  const onError =
    opts.onCheckpointError ??
    ((err: unknown, stream: string) =>
      process.stderr.write(`ledgerflow: checkpoint of stream ${stream} failed: ${(err as Error).message}\n`));

  const appender = new Appender(db, async (stream, first, last) => {
    if (!signer || every <= 0 || !checkpointDue(every, first, last)) return;
    try {
      await createCheckpoint(db, signer, { stream, durable: false, registeredKeys });
    } catch (err) {
      onError(err, stream);
    }
  });

  return {
    db,
    append: (event, o) => appender.append(event, o),
    appendMany: (items, o) => appender.appendMany(items, o),
    async checkpoint(o = {}) {
      if (!signer)
        throw new LedgerValidationError('this ledger has no signing key: it cannot sign checkpoints');
      return createCheckpoint(db, signer, { ...o, registeredKeys });
    },
  };
}
