import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * ledgerflow's Prometheus metrics, all in one registry. Each process (worker, API) builds one
 * with {@link createMetrics} and passes it down explicitly: nothing here is global, so tests
 * and several ledgers in one process never share counts by accident.
 */
export interface LedgerflowMetrics {
  readonly registry: Registry;
  /** Ledger events appended, by stream and outcome (`created`, `duplicate` or `error`). */
  ledgerAppends: Counter<'stream' | 'outcome'>;
  /** Seconds per append call (one event, or one appendMany batch). */
  ledgerAppendSeconds: Histogram<'kind'>;
  /** Events per appendMany call. */
  ledgerAppendBatchSize: Histogram;
  /** Append calls that failed, by stream. */
  ledgerAppendErrors: Counter<'stream'>;
  /** Signed checkpoints written (cadence and explicit). */
  ledgerCheckpoints: Counter;
  /** Checkpoints the append cadence failed to write (the events were committed regardless). */
  ledgerCheckpointErrors: Counter;
  /** 1 when the last recorded chain verification passed, 0 when it failed; -1 before any. */
  verificationLastResult: Gauge;
  /** Unix seconds of the last passing chain verification (0 before any). */
  verificationLastSuccess: Gauge;
  /** Chain verifications recorded, by result (`ok`, `failed`). */
  verificationRuns: Counter<'result'>;
  /** Names screened against the sanctions lists, by decision. */
  screeningNames: Counter<'decision'>;
  /** Monitoring transactions accepted for evaluation. */
  monitoringTransactions: Counter;
  /** Rows deleted by retention purges, by data class. */
  purgedRows: Counter<'data_class'>;
  /** API requests, by method, route pattern and status code. */
  apiRequests: Counter<'method' | 'route' | 'status'>;
  /** API request latency, by method, route pattern and status code. */
  apiRequestSeconds: Histogram<'method' | 'route' | 'status'>;
}

/** Builds a fresh registry with the process metrics (CPU, memory, event loop) and ledgerflow's own. */
export function createMetrics(): LedgerflowMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const m: LedgerflowMetrics = {
    registry,
    ledgerAppends: new Counter({
      name: 'ledgerflow_ledger_appends_total',
      help: 'Ledger events appended, by stream and outcome (created, duplicate, error).',
      labelNames: ['stream', 'outcome'],
      registers,
    }),
    ledgerAppendSeconds: new Histogram({
      name: 'ledgerflow_ledger_append_duration_seconds',
      help: 'Latency of one ledger append call (kind: single or batch).',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    ledgerAppendBatchSize: new Histogram({
      name: 'ledgerflow_ledger_append_batch_size',
      help: 'Events per appendMany call.',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers,
    }),
    ledgerAppendErrors: new Counter({
      name: 'ledgerflow_ledger_append_errors_total',
      help: 'Ledger append calls that failed, by stream.',
      labelNames: ['stream'],
      registers,
    }),
    ledgerCheckpoints: new Counter({
      name: 'ledgerflow_ledger_checkpoints_total',
      help: 'Signed checkpoints written.',
      registers,
    }),
    ledgerCheckpointErrors: new Counter({
      name: 'ledgerflow_ledger_checkpoint_errors_total',
      help: 'Cadence checkpoints that failed (the events were committed regardless).',
      registers,
    }),
    verificationLastResult: new Gauge({
      name: 'ledgerflow_verification_last_result',
      help: 'Last recorded chain verification: 1 passed, 0 failed, -1 none yet in this process.',
      registers,
    }),
    verificationLastSuccess: new Gauge({
      name: 'ledgerflow_verification_last_success_timestamp_seconds',
      help: 'Unix time of the last passing chain verification recorded by this process (0: none).',
      registers,
    }),
    verificationRuns: new Counter({
      name: 'ledgerflow_verification_runs_total',
      help: 'Chain verifications recorded, by result (ok, failed).',
      labelNames: ['result'],
      registers,
    }),
    screeningNames: new Counter({
      name: 'ledgerflow_screening_names_screened_total',
      help: 'Names screened against the sanctions lists, by decision.',
      labelNames: ['decision'],
      registers,
    }),
    monitoringTransactions: new Counter({
      name: 'ledgerflow_monitoring_transactions_ingested_total',
      help: 'Monitoring transactions accepted for evaluation.',
      registers,
    }),
    purgedRows: new Counter({
      name: 'ledgerflow_retention_rows_purged_total',
      help: 'Rows deleted by retention purges, by data class.',
      labelNames: ['data_class'],
      registers,
    }),
    apiRequests: new Counter({
      name: 'ledgerflow_api_requests_total',
      help: 'API requests, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    apiRequestSeconds: new Histogram({
      name: 'ledgerflow_api_request_duration_seconds',
      help: 'API request latency, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
  m.verificationLastResult.set(-1);
  return m;
}

/** Records a chain verification outcome (`at`: when it ran). */
export function observeVerification(m: LedgerflowMetrics | undefined, ok: boolean, at = new Date()): void {
  if (!m) return;
  m.verificationRuns.inc({ result: ok ? 'ok' : 'failed' });
  m.verificationLastResult.set(ok ? 1 : 0);
  if (ok) m.verificationLastSuccess.set(at.getTime() / 1000);
}
