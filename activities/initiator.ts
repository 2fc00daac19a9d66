import { ApplicationFailure, Context } from '@temporalio/activity';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { Database } from '../db/client';
import type { AuditStamp } from '../services/audit-stamp';
import { authorizedStart, scheduleInstaller } from '../services/principals/workflow-starts';
import { activityStamp } from './stamp';

// Start records are append-only and principals are never deleted: a run's initiator, once found,
// stays. Bounded, so a long-lived worker does not grow without limit.
const known = new Map<string, string>();
const KNOWN_MAX = 10_000;
function remember(key: string, initiator: string): void {
  if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value as string);
  known.set(key, initiator);
}

/** Failure type of an activity whose workflow has no authorized start on record. */
export const UNAUTHORIZED_START = 'UnauthorizedStart';

// A Temporal Schedule starts its runs as `<action workflow id>-<scheduled time, RFC 3339>`.
const SCHEDULED_RUN = /^(.+)-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
// The schedule lists a run it started right after starting it; an activity can get there first.
const LISTED_WITHIN_MS = 10_000;

/**
 * True when another execution chain under `workflowId`, started since `since` (when its start
 * was authorized), has closed: this run then reuses an authorized id (a record authorizes one
 * chain; runs it continued as new into are the same chain).
 */
async function idReused(workflowId: string, runId: string, since: Date): Promise<boolean> {
  const query = `WorkflowId = ${JSON.stringify(workflowId)} AND StartTime >= ${JSON.stringify(since.toISOString())}`;
  for await (const e of Context.current().client.workflow.list({ query }))
    if (e.runId !== runId && !['RUNNING', 'CONTINUED_AS_NEW'].includes(e.status.name)) return true;
  return false;
}

/** The run's authorization: the initiator on record and since when that record allows a chain. */
interface Authorization {
  initiator: string;
  since: Date;
  /** Set for a run a Schedule started: the schedule named this very chain, so no id-reuse check. */
  scheduled?: true;
}

/**
 * The installer of the schedule that started this run, when Temporal confirms that schedule (by
 * the id the run's workflow id derives from, for this workflow type) started it; undefined when it
 * did not, or when the schedule's install is not on record.
 */
async function scheduledRun(
  db: Database,
  workflowId: string,
  workflowType: string,
): Promise<Authorization | undefined> {
  const m = SCHEDULED_RUN.exec(workflowId);
  const scheduleId = m?.[1];
  if (!scheduleId) return undefined;
  const ctx = Context.current();
  const runId = ctx.info.workflowExecution?.runId ?? '';
  // The chain's first run: a schedule lists the run it started, and a run continued as new from
  // it keeps that first run id. Two triggers in one second share a workflow id, so the id alone
  // does not say which chain the schedule started.
  const described = await ctx.client.workflow.getHandle(workflowId, runId).describe();
  const firstRunId = described.raw.workflowExecutionInfo?.firstRunId || runId;
  const deadline = Date.now() + LISTED_WITHIN_MS;
  for (;;) {
    const d = await ctx.client.schedule
      .getHandle(scheduleId)
      .describe()
      .catch((err: unknown) => {
        if (err instanceof ScheduleNotFoundError) return undefined;
        throw err;
      });
    if (!d || d.action.type !== 'startWorkflow' || d.action.workflowType !== workflowType) return undefined;
    const started = [...d.info.runningActions, ...d.info.recentActions.map((a) => a.action)];
    if (
      started.some(
        (a) => a.workflow.workflowId === workflowId && a.workflow.firstExecutionRunId === firstRunId,
      )
    ) {
      const initiator = await scheduleInstaller(db, scheduleId);
      // The scheduled time ends the id: the schedule's own run started at or after it.
      const since = new Date(workflowId.slice(scheduleId.length + 1));
      return initiator ? { initiator, since, scheduled: true } : undefined;
    }
    if (Date.now() >= deadline) return undefined;
    ctx.heartbeat();
    await ctx.sleep(200);
  }
}

/**
 * The principal the running workflow acts for: the one whose authorized start of this workflow
 * (type and id) is on record in the ledger (see recordWorkflowStart), or, for a run a Temporal
 * Schedule started, the principal whose install of that schedule is on record (see
 * recordScheduleInstalled). When the workflow input names a principal (`claimed`), it must be
 * that one. A record authorizes one execution chain: a new run under an id whose authorized run
 * has closed is refused too. Anything else (a workflow started through a raw Temporal client, or
 * an input naming someone else) fails the activity, non-retryably, before it writes anything.
 */
export async function workflowInitiator(db: Database, claimed?: string): Promise<string> {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? '';
  const workflowType = info.workflowType ?? '';
  const runId = info.workflowExecution?.runId ?? '';
  const key = `${workflowType}:${workflowId}:${runId}`;
  let initiator = known.get(key);
  if (!initiator) {
    const start = await authorizedStart(db, workflowId, workflowType);
    const auth = start
      ? { initiator: start.initiator, since: start.recordedAt }
      : await scheduledRun(db, workflowId, workflowType);
    if (auth && !auth.scheduled && (await idReused(workflowId, runId, auth.since)))
      throw ApplicationFailure.create({
        type: UNAUTHORIZED_START,
        message: `workflow ${workflowId}: a new run under an id whose authorized run has closed; nothing is written for it`,
        nonRetryable: true,
      });
    initiator = auth?.initiator;
    if (initiator) remember(key, initiator);
  }
  if (!initiator)
    throw ApplicationFailure.create({
      type: UNAUTHORIZED_START,
      message: `workflow ${workflowId} has no authorized start on record; nothing is written for it`,
      nonRetryable: true,
    });
  if (claimed !== undefined && claimed !== initiator)
    throw ApplicationFailure.create({
      type: UNAUTHORIZED_START,
      message: `workflow ${workflowId}: its input names a principal other than the one authorized to start it`,
      nonRetryable: true,
    });
  return initiator;
}

/**
 * The running activity's stamp ({@link activityStamp}) acting for the workflow's authorized
 * initiator ({@link workflowInitiator}): every step's context carries `initiated_by`.
 */
export async function initiatedStamp(
  db: Database,
  defaultActor: string,
  claimed?: string,
): Promise<AuditStamp & { initiatedBy: string }> {
  const initiatedBy = await workflowInitiator(db, claimed);
  const stamp = activityStamp(defaultActor);
  return {
    ...stamp,
    initiatedBy,
    step: (name) => {
      const s = stamp.step(name);
      return { ...s, context: { ...s.context, initiated_by: initiatedBy } };
    },
  };
}
