import { ApplicationFailure, Context } from '@temporalio/activity';
import { ScreeningFailure, type ScreeningActivities } from '../contracts/screening';
import { InputError } from '../runtime/errors';
import { createScreeningService, type BatchProgress, type ScreeningDeps } from '../services/screening';
import { activityAuditContext } from './audit-context';
import { workflowInitiator } from './initiator';

const workflowId = () => Context.current().info.workflowExecution?.workflowId ?? 'screening';

/** Bad input fails the activity with the contract's failure type (the workflows do not retry it). */
async function mapErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof InputError)
      throw ApplicationFailure.create({ type: ScreeningFailure.InputError, message: err.message });
    throw err;
  }
}

/**
 * Activities of the screening workflows around the screening service: ledger context from the
 * running activity (acting for the workflow's authorized initiator), heartbeats per chunk, and
 * resume from the last heartbeat's offset after a worker crash. Register with the worker:
 * `...createScreeningActivities({ db, ledger, matcher })`.
 */
export function createScreeningActivities(deps: ScreeningDeps) {
  const screening = createScreeningService(deps);
  /** The running activity's ledger context; refuses (writing nothing) without an authorized start. */
  const contextOf = async (step: string) => ({
    ...activityAuditContext(step),
    initiated_by: await workflowInitiator(deps.db),
  });
  const activities: ScreeningActivities = {
    screeningLoadList: (input) =>
      mapErrors(async () =>
        screening.loadList({
          ...input,
          actor: { type: 'workflow', id: workflowId() },
          context: await contextOf('screening.load_list'),
        }),
      ),

    screeningBatch: (input) =>
      mapErrors(async () => {
        const ctx = Context.current();
        const last = ctx.info.heartbeatDetails as BatchProgress | undefined;
        const offset = last?.batchId === input.batchId ? last.offset : 0;
        const report = await screening.screenBatch(
          {
            ...input,
            offset,
            actor: { type: 'workflow', id: workflowId() },
            context: await contextOf('screening.batch'),
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
      }),

    screeningBatchChunk: (input) =>
      mapErrors(async () =>
        screening.screenBatchChunk({
          ...input,
          actor: { type: 'workflow', id: workflowId() },
          context: await contextOf('screening.batch'),
        }),
      ),

    screeningBatchReport: (input) =>
      mapErrors(async () => {
        await workflowInitiator(deps.db);
        const report = await screening.finishBatch(input);
        return {
          batchId: report.batchId,
          totalRows: report.totalRows,
          screened: report.screened,
          rejected: report.rejected,
          decisions: report.decisions,
          reportFiles: report.reportFiles,
        };
      }),

    screeningRescreenChanged: (input) =>
      mapErrors(async () => {
        const r = await screening.rescreenChanged({
          ...input,
          actor: { type: 'workflow', id: workflowId() },
          context: await contextOf('screening.rescreen'),
        });
        return {
          source: r.source,
          versionId: r.versionId,
          changedEntries: r.changedEntries,
          subjects: r.subjects,
          newHits: r.results.reduce((a, x) => a + x.hits.length, 0),
          resultIds: r.results.map((x) => x.id),
        };
      }),
  };
  return activities;
}
