import type { Client, WorkflowHandleWithFirstExecutionRunId, WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { startWorkflow, type WorkflowRef } from '../../contracts/workflow-ref';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import { workflowIdIs } from '../../ledger/workflow-id-sql';

const ACCESS_STREAM = 'access';
const START_EVENT = 'workflow.start_authorized';
const SCHEDULE_INSTALLED = 'schedule.installed';

/** A workflow start that authorize() allowed: who, for which action, which workflow. */
export interface WorkflowStart {
  principalId: string;
  action: string;
  workflowId: string;
  workflowType: string;
  /** A ledgerflow service starting on its own (e.g. the monitoring feed) instead of a principal. */
  service?: boolean;
}

/**
 * Records, before the workflow starts, that `principalId` (already authorized for `action`) starts
 * `workflowType` under `workflowId`: a `workflow.start_authorized` event in stream `access`, actor
 * the principal. It binds the starter to the workflow: activities take the initiator from this
 * record ({@link authorizedInitiator}), never from the workflow input alone, so an input forged
 * through a raw Temporal client cannot name a principal. Idempotent per workflow: a repeated
 * submission keeps the first starter.
 */
export async function recordWorkflowStart(ledger: Ledger, start: WorkflowStart): Promise<void> {
  // One round trip (it sits before every start): the head lock is held for one statement only.
  await ledger.appendOneTrip(
    {
      event_type: START_EVENT,
      actor: { type: start.service ? 'service' : 'user', id: start.principalId },
      resource: { type: 'workflow', id: start.workflowId },
      action: 'start',
      outcome: 'success',
      context: { workflow_id: start.workflowId, workflow_type: start.workflowType },
      payload: { authorized_action: start.action },
    },
    { stream: ACCESS_STREAM, idempotencyKey: `workflow-start:${start.workflowType}:${start.workflowId}` },
  );
}

/**
 * Starts `ref` under `options.workflowId` for a principal already authorized for `action`: the
 * start is recorded first ({@link recordWorkflowStart}), so the run's activities act for it.
 */
export async function startAuthorizedWorkflow<W extends Workflow>(
  deps: { client: Client; ledger: Ledger },
  by: { principalId: string; action: string; service?: boolean },
  ref: WorkflowRef<W>,
  options: WorkflowStartOptions<W>,
): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  await recordWorkflowStart(deps.ledger, { ...by, workflowId: options.workflowId, workflowType: ref.name });
  return startWorkflow(deps.client, ref, options);
}

/**
 * The principal (or ledgerflow service) whose authorized start of `workflowType` under
 * `workflowId` is on record, if that principal still exists, with the record's time; undefined
 * when no such start was recorded.
 */
export async function authorizedStart(
  db: Database,
  workflowId: string,
  workflowType: string,
): Promise<{ initiator: string; recordedAt: Date } | undefined> {
  const r = await db.$client.query<{ actor_id: string; occurred_at: Date }>(
    `SELECT e.actor_id, e.occurred_at FROM ledger_events e LEFT JOIN principals p ON p.id = e.actor_id
      WHERE ${workflowIdIs('e.context', '$1')} AND e.stream = $2 AND e.event_type = $3
        AND e.context->>'workflow_type' = $4 AND (p.id IS NOT NULL OR e.actor_type = 'service')
      ORDER BY e.seq LIMIT 1`,
    [workflowId, ACCESS_STREAM, START_EVENT, workflowType],
  );
  const row = r.rows[0];
  return row ? { initiator: row.actor_id, recordedAt: new Date(row.occurred_at) } : undefined;
}

/** {@link authorizedStart}'s principal only. */
export async function authorizedInitiator(
  db: Database,
  workflowId: string,
  workflowType: string,
): Promise<string | undefined> {
  return (await authorizedStart(db, workflowId, workflowType))?.initiator;
}

const UPDATE_EVENT = 'workflow.update_authorized';

/** An Update that authorize() allowed: who sends which Update (by its id) to which workflow. */
export interface WorkflowUpdate {
  principalId: string;
  action: string;
  workflowId: string;
  updateName: string;
  updateId: string;
}

/**
 * Records, before the Update is sent, that `principalId` (already authorized for `action`) sends
 * Update `updateName` with id `updateId` to `workflowId`: a `workflow.update_authorized` event in
 * stream `access`. The activity that writes what the Update decided checks it
 * ({@link authorizedUpdater}), so an Update sent through a raw Temporal client cannot name a
 * principal. Idempotent per Update id.
 */
export async function recordUpdateAuthorized(ledger: Ledger, u: WorkflowUpdate): Promise<void> {
  await ledger.append(
    {
      event_type: UPDATE_EVENT,
      actor: { type: 'user', id: u.principalId },
      resource: { type: 'workflow_update', id: u.updateId },
      action: 'update',
      outcome: 'success',
      context: { workflow_id: u.workflowId },
      payload: { authorized_action: u.action, update: u.updateName },
    },
    { stream: ACCESS_STREAM, idempotencyKey: `workflow-update:${u.workflowId}:${u.updateId}` },
  );
}

/** The principal whose Update `updateId` to `workflowId` is on record; undefined when none is. */
export async function authorizedUpdater(
  db: Database,
  workflowId: string,
  updateId: string,
): Promise<string | undefined> {
  const r = await db.$client.query<{ actor_id: string }>(
    `SELECT actor_id FROM ledger_events
      WHERE stream = $1 AND event_type = $2 AND resource_type = 'workflow_update' AND resource_id = $3
        AND ${workflowIdIs('context', '$4')}
      ORDER BY seq LIMIT 1`,
    [ACCESS_STREAM, UPDATE_EVENT, updateId, workflowId],
  );
  return r.rows[0]?.actor_id;
}

/**
 * Records that `principalId` (authorized for schedule.manage) installed `scheduleId`: a
 * `schedule.installed` event in stream `admin`. The latest such record names the initiator of
 * every run the schedule starts ({@link scheduleInstaller}).
 */
export async function recordScheduleInstalled(
  ledger: Ledger,
  install: { principalId: string; scheduleId: string; outcome: string; requestId: string },
): Promise<void> {
  await ledger.append(
    {
      event_type: SCHEDULE_INSTALLED,
      actor: { type: 'user', id: install.principalId },
      resource: { type: 'schedule', id: install.scheduleId },
      action: 'installed',
      outcome: 'success',
      context: { request: { source: 'cli', request_id: install.requestId } },
      payload: { outcome: install.outcome },
    },
    {
      stream: 'admin',
      idempotencyKey: `schedule:${install.scheduleId}:installed:${install.requestId}`,
    },
  );
}

/**
 * The active principal who last installed `scheduleId` (its latest `schedule.installed` record);
 * undefined when the schedule was never installed through ledgerflow or that principal was
 * deactivated since.
 */
export async function scheduleInstaller(db: Database, scheduleId: string): Promise<string | undefined> {
  const r = await db.$client.query<{ actor_id: string; active: boolean }>(
    `SELECT e.actor_id, p.deactivated_at IS NULL AS active
       FROM ledger_events e JOIN principals p ON p.id = e.actor_id
      WHERE e.stream = 'admin' AND e.event_type = $1 AND e.resource_type = 'schedule' AND e.resource_id = $2
      ORDER BY e.seq DESC LIMIT 1`,
    [SCHEDULE_INSTALLED, scheduleId],
  );
  const row = r.rows[0];
  return row?.active ? row.actor_id : undefined;
}
