import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { investigationWorkflowId } from '../contracts/alert-investigation';
import { ingestText, type MonitoringDeps } from '../services/monitoring';
import {
  assignAlert,
  closeAlert,
  decideAlert,
  investigationState,
  openInvestigations,
  type InvestigationDeps,
} from '../services/monitoring/investigations';
import { ensurePrincipal } from '../services/principals/principals';
import {
  createTemporalTestEnv,
  createTestDatabase,
  waitFor,
  type TemporalTestEnv,
  type TestDatabase,
} from './support';
import { runCli } from './monitoring-cli';
import { HOUR, actor, deps, jsonl, tx } from './monitoring-helpers';

let t: TestDatabase;
let d: MonitoringDeps;
let env: TemporalTestEnv;
let inv: InvestigationDeps;
const SLA = { assignWithinMs: 1_000, decideWithinMs: 1_000 };

beforeAll(async () => {
  t = await createTestDatabase();
  d = deps(t);
  for (const [id, role] of [
    ['inv-lead', 'compliance'],
    ['inv-analyst', 'reviewer'],
    ['inv-analyst2', 'reviewer'],
    ['inv-auditor', 'auditor'],
  ] as const)
    await ensurePrincipal(d.db, id, [role]);
  env = await createTemporalTestEnv();
  await env.startWorker({ db: d.db, ledger: d.ledger });
  inv = { client: env.client, taskQueue: env.taskQueue, db: d.db, sla: SLA };
}, 60_000);
afterAll(async () => {
  await env?.close();
  await t?.drop();
});

/** Raises one structuring alert on `account` and returns its id. */
async function raiseAlert(account: string): Promise<string> {
  const cash = (at: number) =>
    tx(account, at, { channel: 'cash', direction: 'credit', amount: '9000.00', counterparty_id: 'branch' });
  const s = await ingestText(d, actor, jsonl([cash(0), cash(HOUR), cash(2 * HOUR)]));
  expect(s.alert_ids).toHaveLength(1);
  return s.alert_ids[0]!;
}

const steps = async (alertId: string) =>
  (
    await t.asOwner<{ event_type: string; actor_type: string; actor_id: string }>(
      `SELECT event_type, actor_type, actor_id FROM ledger_events WHERE resource_id = $1 ORDER BY seq`,
      [alertId],
    )
  ).rows.map((r) => `${r.event_type.replace('monitoring.investigation_', '')} ${r.actor_type}:${r.actor_id}`);

describe('alert investigation workflow', () => {
  it('assignment, SLA escalations, the analyst decision, a four-eyes close; every step in the ledger with its principal', async () => {
    const alertId = await raiseAlert('inv-1');
    expect(await openInvestigations(inv, [alertId], { type: 'service', id: 'monitoring-feed' })).toBe(1);
    // Nobody assigns within the SLA: it escalates.
    await waitFor(
      async () => (await investigationState(inv, alertId)).escalations.length === 1,
      30_000,
      'escalation',
    );

    await expect(assignAlert(inv, alertId, 'inv-lead', 'inv-auditor')).rejects.toThrow(
      /cannot assign to inv-auditor: .*may not alerts.decide/,
    );
    const assigned = await assignAlert(inv, alertId, 'inv-lead', 'inv-analyst');
    expect(assigned).toMatchObject({ status: 'assigned', analyst: 'inv-analyst', assignedBy: 'inv-lead' });

    await expect(decideAlert(inv, alertId, 'inv-analyst2', 'dismiss', 'looks fine')).rejects.toThrow(
      /decision refused: only the assigned analyst \(inv-analyst\) may decide/,
    );
    await expect(
      decideAlert(inv, alertId, 'inv-analyst', 'ignore' as 'dismiss', 'looks fine'),
    ).rejects.toThrow(/decision refused: invalid input: decision: /);
    await expect(decideAlert(inv, alertId, 'inv-analyst', 'dismiss', '  ')).rejects.toThrow(
      /a reason is required/,
    );
    await expect(closeAlert(inv, alertId, 'inv-lead')).rejects.toThrow(/only a decided alert can be closed/);

    // The analyst does not decide within the SLA: a second escalation.
    await waitFor(
      async () => (await investigationState(inv, alertId)).escalations.length === 2,
      30_000,
      'escalation',
    );
    const decided = await decideAlert(
      inv,
      alertId,
      'inv-analyst',
      'file_report',
      'cash deposits just under the threshold',
    );
    expect(decided).toMatchObject({
      status: 'decided',
      decision: { decision: 'file_report', by: 'inv-analyst' },
    });

    await expect(closeAlert(inv, alertId, 'inv-analyst')).rejects.toThrow(
      /closing refused: four eyes: inv-analyst decided alert .* and may not also close it/,
    );
    const closed = await closeAlert(inv, alertId, 'inv-lead', 'report filed');
    expect(closed).toMatchObject({ status: 'closed', closedBy: 'inv-lead' });
    const result = await env.client.workflow.getHandle(investigationWorkflowId(alertId)).result();
    expect(result.escalations.map((e: { phase: string }) => e.phase)).toEqual(['assignment', 'decision']);

    expect(await steps(alertId)).toEqual([
      'monitoring.alert_raised user:monitor-tester',
      'opened service:monitoring-feed',
      'escalated workflow:alertInvestigation',
      'assigned user:inv-lead',
      'escalated workflow:alertInvestigation',
      'decided user:inv-analyst',
      'closed user:inv-lead',
    ]);
    // One investigation per alert, ever: opening again starts nothing.
    expect(await openInvestigations(inv, [alertId], { type: 'service', id: 'monitoring-feed' })).toBe(0);
    await expect(decideAlert(inv, alertId, 'inv-analyst', 'dismiss', 'again')).rejects.toThrow(/closed/);
  }, 120_000);

  it('the CLI drives it as known principals; refusals are one line', async () => {
    const alertId = await raiseAlert('inv-2');
    process.env.TEMPORAL_TASK_QUEUE = env.taskQueue;
    try {
      const unknown = await runCli(t, ['alerts', 'assign', alertId, '--to', 'inv-analyst'], 'nobody');
      expect(unknown.code).not.toBe(0);
      expect(unknown.err.trim().split('\n')).toHaveLength(1);
      expect(unknown.err).toMatch(/unknown principal "nobody"/);
      const forbidden = await runCli(t, ['alerts', 'assign', alertId, '--to', 'inv-analyst'], 'inv-analyst');
      expect(forbidden.err).toMatch(/may not alerts.assign/);

      const a = await runCli(t, ['alerts', 'assign', alertId, '--to', 'inv-analyst', '--json'], 'inv-lead');
      expect(a.code).toBe(0);
      expect(JSON.parse(a.out)).toMatchObject({ status: 'assigned', analyst: 'inv-analyst' });
      const bad = await runCli(t, ['alerts', 'decide', alertId, 'maybe', '--reason', 'x'], 'inv-analyst');
      expect(bad.err.trim()).toBe('error: decision must be one of dismiss, escalate, file_report');
      const dec = await runCli(
        t,
        ['alerts', 'decide', alertId, 'dismiss', '--reason', 'salary'],
        'inv-analyst',
      );
      expect(dec.code).toBe(0);
      // An admin who is also the analyst? Here: the analyst has no close permission anyway; the lead closes.
      const self = await runCli(t, ['alerts', 'close', alertId], 'inv-analyst');
      expect(self.err).toMatch(/may not alerts.close/);
      const close = await runCli(t, ['alerts', 'close', alertId], 'inv-lead');
      expect(close.code).toBe(0);
      expect(close.out).toMatch(/CLOSED/);
      const show = await runCli(t, ['alerts', 'investigation', alertId], 'inv-auditor');
      expect(show.out).toMatch(/decision {3}dismiss by inv-analyst/);
    } finally {
      delete process.env.TEMPORAL_TASK_QUEUE;
    }
  }, 120_000);
});
