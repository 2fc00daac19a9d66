import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { RetentionFailure } from '../contracts/retention';
import type { ClassPreview } from '../core/retention/types';
import type { Signer } from '../core/signing';
import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import { issuePurgeCertificate, type IssueCertificateInput } from '../services/retention/certificate';
import { RetentionRejected } from '../services/retention/errors';
import { previewClasses } from '../services/retention/preview';
import { purgeDataClass, type PurgeClassInput, type PurgeClassOutput } from '../services/retention/purge';
import { initiatedStamp, workflowInitiator } from './initiator';

export type { PurgeClassInput, PurgeClassOutput };

export interface RetentionDeps {
  db: Database;
  ledger: Ledger;
  /** A pool connected as ledgerflow_purger; without it batches run on `db` with SET LOCAL ROLE. */
  purgerDb?: Database;
  /** Signs purge certificates (the worker passes the ledger's Ed25519 signer). */
  signer: Signer;
  /** Test hook for crash tests: pause this long between purge batches (production: none). */
  purgeBatchDelayMs?: number;
}

/** Non-retryable failure for input the database refused (e.g. an as-of in the future). */
function nonRetryable(err: unknown): never {
  if (err instanceof RetentionRejected) {
    throw ApplicationFailure.create({
      type: RetentionFailure.Rejected,
      message: err.message,
      nonRetryable: true,
    });
  }
  throw err;
}

/** Activities of the `retentionPurge` workflow. */
export function createRetentionActivities(deps: RetentionDeps) {
  const delayMs = deps.purgeBatchDelayMs ?? 0;

  return {
    /** What is expired, purgeable and held per data class as of `asOf` (also the dry run). */
    async retentionPlan(input: { asOf: string; dataClasses?: string[] }): Promise<ClassPreview[]> {
      await workflowInitiator(deps.db);
      try {
        return await previewClasses(deps.db, input, () => heartbeat());
      } catch (err) {
        nonRetryable(err);
      }
    },

    /** Purges one data class in batches, heartbeating the key cursor; a retry resumes from it. */
    async retentionPurgeClass(input: PurgeClassInput): Promise<PurgeClassOutput> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as { cursor: unknown } | undefined;
      await workflowInitiator(deps.db);
      try {
        return await purgeDataClass(
          { ...deps, metrics: deps.ledger.metrics },
          { ...input, cursor: resumed?.cursor ?? input.cursor ?? null },
          {
            onBatch: (progress) => heartbeat(progress),
            betweenBatches: delayMs > 0 ? () => ctx.sleep(delayMs) : undefined,
          },
        );
      } catch (err) {
        nonRetryable(err);
      }
    },

    /**
     * Signs the purge certificate from the committed batch records and writes it to the ledger;
     * `requested_by` is the workflow's authorized initiator (the input's, if any, must match it).
     */
    async retentionIssueCertificate(
      input: Omit<IssueCertificateInput, 'requestedBy'> & { requestedBy?: string },
    ) {
      const stamp = await initiatedStamp(deps.db, 'retentionPurge', input.requestedBy);
      return issuePurgeCertificate(deps, { ...input, requestedBy: stamp.initiatedBy }, stamp);
    },
  };
}
