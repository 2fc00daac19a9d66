import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { foldDigests, signPurgeCertificate } from '../core/retention/certificate';
import {
  COMPLIANCE_STREAM,
  type ClassPreview,
  type ClassPurgeSummary,
  type PurgeCertificate,
} from '../core/retention/types';
import type { Signer } from '../core/signing';
import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import { loadSigner } from '../ledger/keys';
import { loadConfig } from '../runtime/config';
import { activityAuditContext, businessEventKey } from './audit-context';
import { RetentionRejected, batchRecords, coveredClasses, previewClass, purgeBatch } from './retention-db';

export interface RetentionDeps {
  db: Database;
  ledger: Ledger;
  /** A pool connected as ledgerflow_purger; without it batches run on `db` with SET LOCAL ROLE. */
  purgerDb?: Database;
  /** Signs purge certificates; default: the ledger's Ed25519 key (ledger/keys.ts loadSigner). */
  signer?: Signer;
}

/** Non-retryable failure for input the database refused (e.g. an as-of in the future). */
function nonRetryable(err: unknown): never {
  if (err instanceof RetentionRejected) {
    throw ApplicationFailure.create({ type: 'RetentionRejected', message: err.message, nonRetryable: true });
  }
  throw err;
}

export interface PurgeClassInput {
  purgeRunId: string;
  dataClass: string;
  asOf: string;
  batchSize: number;
  cursor: unknown;
  /** Return after this long so the workflow records progress (default 20 s). */
  timeBudgetMs?: number;
}

export interface PurgeClassOutput {
  dataClass: string;
  purged: number;
  batches: number;
  cursor: unknown;
  done: boolean;
}

/** Activities of the `retentionPurge` workflow. */
export function createRetentionActivities(deps: RetentionDeps) {
  const testDelayMs = Number(process.env.LEDGERFLOW_TEST_PURGE_BATCH_DELAY_MS ?? 0);

  return {
    /** What is expired, purgeable and held per data class as of `asOf` (also the dry run). */
    async retentionPlan(input: { asOf: string; dataClasses?: string[] }): Promise<ClassPreview[]> {
      try {
        const classes = input.dataClasses ?? (await coveredClasses(deps.db));
        const out: ClassPreview[] = [];
        for (const c of classes) {
          out.push(await previewClass(deps.db, c, input.asOf));
          heartbeat();
        }
        return out;
      } catch (err) {
        nonRetryable(err);
      }
    },

    /**
     * Purges one data class in batches (one transaction each) until done or out of time budget,
     * heartbeating the key cursor. A retry resumes from the last heartbeat; batches are
     * idempotent (deleted rows are gone, and the DB records each committed batch).
     */
    async retentionPurgeClass(input: PurgeClassInput): Promise<PurgeClassOutput> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as { cursor: unknown } | undefined;
      let cursor = resumed?.cursor ?? input.cursor ?? null;
      const until = Date.now() + (input.timeBudgetMs ?? 20_000);
      let purged = 0;
      let batches = 0;
      const pool = deps.purgerDb ?? deps.db;
      try {
        for (;;) {
          const r = await purgeBatch(pool, {
            purgeRunId: input.purgeRunId,
            dataClass: input.dataClass,
            asOf: input.asOf,
            limit: input.batchSize,
            cursor,
            viaSetRole: !deps.purgerDb,
          });
          purged += r.purged;
          batches += 1;
          cursor = r.cursor ?? cursor;
          heartbeat({ cursor, purged });
          if (r.done) return { dataClass: input.dataClass, purged, batches, cursor, done: true };
          if (testDelayMs > 0) await ctx.sleep(testDelayMs);
          if (Date.now() >= until)
            return { dataClass: input.dataClass, purged, batches, cursor, done: false };
        }
      } catch (err) {
        nonRetryable(err);
      }
    },

    /**
     * Builds the purge certificate from the committed batch records (not from what this worker
     * believes it did, so a crash cannot skew it), signs it with Ed25519 and writes it to the
     * ledger as `retention.purge_certificate`. Idempotent per purge run.
     */
    async retentionIssueCertificate(input: {
      purgeRunId: string;
      asOf: string;
      requestedBy: string;
      dataClasses: string[];
    }): Promise<{ stream: string; seq: number; keyId: string; totals: PurgeCertificate['totals'] }> {
      const info = Context.current().info;
      const records = await batchRecords(deps.db, input.purgeRunId);
      const classes: ClassPurgeSummary[] = [];
      const blocking: PurgeCertificate['blocking_holds'] = [];
      let held = 0;
      for (const dataClass of input.dataClasses) {
        const rs = records.filter((r) => r.dataClass === dataClass);
        const withRows = rs.filter((r) => r.purged > 0);
        const preview = await previewClass(deps.db, dataClass, input.asOf);
        held += preview.held;
        for (const h of preview.holds) blocking.push({ data_class: dataClass, ...h });
        const times = withRows
          .flatMap((r) => [r.minTs, r.maxTs])
          .filter((t): t is string => Boolean(t))
          .sort();
        classes.push({
          dataClass,
          action: dataClass === 'ledger_payloads' ? 'purge_payload' : 'delete',
          purged: rs.reduce((n, r) => n + r.purged, 0),
          batches: rs.length,
          heldSkippedLate: rs.reduce((n, r) => n + r.heldSkipped, 0),
          firstKey: withRows[0]?.firstKey ?? null,
          lastKey: withRows[withRows.length - 1]?.lastKey ?? null,
          minTs: times[0] ?? null,
          maxTs: times[times.length - 1] ?? null,
          digest: foldDigests(rs.map((r) => r.digest)),
          policyVersions: rs[0]?.policyVersions ?? preview.policy_versions,
        });
      }
      const certificate: PurgeCertificate = {
        type: 'ledgerflow.purge_certificate',
        version: 1,
        purge_run_id: input.purgeRunId,
        workflow: {
          workflow_id: info.workflowExecution?.workflowId ?? '',
          run_id: info.workflowExecution?.runId ?? '',
        },
        as_of: input.asOf,
        issued_at: new Date().toISOString(),
        requested_by: input.requestedBy,
        classes,
        totals: { purged: classes.reduce((n, c) => n + c.purged, 0), held },
        blocking_holds: blocking,
        method:
          'ledger payloads: payload and salt deleted, event and payload digest kept (NIST SP 800-88 "clear" of the ' +
          'logical record); business classes: rows deleted. Digests: SHA-256 over "<key> <content sha256>\\n" per ' +
          'batch in key order, folded by SHA-256 over the batch digests.',
      };
      const signer = deps.signer ?? loadSigner(loadConfig());
      const signed = signPurgeCertificate(certificate, signer);
      const step = `purge-certificate:${input.purgeRunId}`;
      const r = await deps.ledger.append(
        {
          event_type: 'retention.purge_certificate',
          actor: { type: 'workflow', id: info.workflowType ?? 'retentionPurge' },
          resource: { type: 'purge_run', id: input.purgeRunId },
          action: 'certify',
          outcome: 'success',
          context: activityAuditContext(step),
          payload: { ...signed },
        },
        { stream: COMPLIANCE_STREAM, idempotencyKey: businessEventKey(step) },
      );
      return { stream: r.stream, seq: r.seq, keyId: signer.keyId, totals: certificate.totals };
    },
  };
}
