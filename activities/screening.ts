import { Context } from '@temporalio/activity';
import { activityAuditContext } from './audit-context';
import {
  createScreeningActivities,
  type BatchProgress,
  type LoadListResult,
  type ScreeningActivityDeps,
} from './screening';

const workflowId = () => Context.current().info.workflowExecution?.workflowId ?? 'screening';

/** What the batch workflow gets back: the report without its per-row results (they stay in PostgreSQL and the report files). */
export interface BatchSummary {
  batchId: string;
  totalRows: number;
  screened: number;
  rejected: number;
  decisions: { block: number; review: number; clear: number };
  reportFiles?: { csv: string; json: string };
}

export interface RescreenSummary {
  source: string;
  versionId: string;
  changedEntries: number;
  subjects: number;
  newHits: number;
  resultIds: string[];
}

/**
 * Temporal activities around {@link createScreeningActivities}: ledger context from the
 * running activity, heartbeats per chunk, and resume from the last heartbeat's offset after
 * a worker crash. Register with the worker: `...createScreeningWorkflowActivities({ db })`.
 */
export function createScreeningWorkflowActivities(deps: ScreeningActivityDeps) {
  const act = createScreeningActivities(deps);
  return {
    async screeningLoadList(input: {
      url?: string;
      path?: string;
      source?: string;
      confirm?: boolean;
    }): Promise<LoadListResult> {
      return act.loadList({
        ...input,
        actor: { type: 'workflow', id: workflowId() },
        context: activityAuditContext('screening.load_list'),
      });
    },

    async screeningBatch(input: {
      file: string;
      column?: string;
      batchId: string;
      chunkSize?: number;
      outDir?: string;
    }): Promise<BatchSummary> {
      const ctx = Context.current();
      const last = ctx.info.heartbeatDetails as BatchProgress | undefined;
      const offset = last?.batchId === input.batchId ? last.offset : 0;
      const report = await act.screenBatch(
        {
          ...input,
          offset,
          actor: { type: 'workflow', id: workflowId() },
          context: activityAuditContext('screening.batch'),
        },
        (p) => ctx.heartbeat(p),
      );
      return {
        batchId: report.batchId,
        totalRows: report.totalRows,
        screened: report.screened,
        rejected: report.rejected,
        decisions: report.decisions,
        reportFiles: report.reportFiles,
      };
    },

    async screeningRescreenChanged(input: {
      source: string;
      fromVersionId?: string;
      toVersionId?: string;
    }): Promise<RescreenSummary> {
      const r = await act.rescreenChanged({
        ...input,
        actor: { type: 'workflow', id: workflowId() },
        context: activityAuditContext('screening.rescreen'),
      });
      return {
        source: r.source,
        versionId: r.versionId,
        changedEntries: r.changedEntries,
        subjects: r.subjects,
        newHits: r.results.reduce((a, x) => a + x.hits.length, 0),
        resultIds: r.results.map((x) => x.id),
      };
    },
  };
}

export type ScreeningWorkflowActivities = ReturnType<typeof createScreeningWorkflowActivities>;
