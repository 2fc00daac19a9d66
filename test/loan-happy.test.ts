import { describe, expect, it } from 'vitest';
import { getLoanStatus } from '../services/loans/applications';
import { useLoanTestEnv, sampleApplication } from './support';

const env = useLoanTestEnv();

describe('loanOrigination happy path and duplicates', () => {
  it('enriches, screens, decides by rules and records every step; no personal data in history', async () => {
    const { stop } = await env.startWorker();
    try {
      const sub = await env.submit(sampleApplication('app-happy'));
      expect(sub.duplicate).toBe(false);
      const result = await sub.handle.result();
      expect(result.status).toBe('approved');
      expect(result.decision?.decidedBy.type).toBe('rules');
      expect(result.decision?.ruleId).toBe('R-DEFAULT-APPROVE');

      const events = await env.events('app-happy');
      const business = events.filter((e) => e.stream === 'loan').map((e) => e.event_type);
      expect(business).toEqual(
        expect.arrayContaining([
          'loan.application_received',
          'loan.enrichment_recorded',
          'loan.parties_screened',
          'loan.rules_evaluated',
          'loan.decision_made',
        ]),
      );
      expect(business.filter((t) => t === 'loan.enrichment_recorded')).toHaveLength(2);
      expect(events.filter((e) => e.stream === 'telemetry')).toHaveLength(2);
      const rules = events.find((e) => e.event_type === 'loan.rules_evaluated')!.payload;
      expect(rules).toMatchObject({
        rule_set_id: 'loan-origination',
        rule_set_version: '2026.11.1',
        outcome: 'approve',
      });
      expect(rules.inputs).toHaveProperty('creditScore');

      const history = JSON.stringify(await sub.handle.fetchHistory());
      expect(history).not.toContain('Maria');
      expect(history).not.toContain('ID-APPHAPPY');

      const status = await getLoanStatus({ db: env.db, client: env.client }, 'app-happy');
      expect(status.status).toBe('approved');
      expect(status.state?.steps.map((s) => s.step)).toEqual([
        'received',
        'enriching',
        'screening',
        'deciding',
        'approved',
      ]);
    } finally {
      await stop();
    }
  });

  it('a duplicate submission returns the existing workflow, running or finished; a different file is refused', async () => {
    const { stop } = await env.startWorker();
    try {
      const file = sampleApplication('app-dup');
      const [a, b] = await Promise.all([env.submit(file), env.submit(file)]);
      expect(a.runId).toBe(b.runId);
      expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
      await a.handle.result();
      const c = await env.submit(file);
      expect(c.duplicate).toBe(true);
      expect(c.runId).toBe(a.runId);
      await expect(env.submit({ ...file, loan: { ...file.loan, amount: 99 } })).rejects.toThrow(
        /different content/,
      );
      const received = (await env.events('app-dup')).filter(
        (e) => e.event_type === 'loan.application_received',
      );
      expect(received).toHaveLength(1);
    } finally {
      await stop();
    }
  });

  it('rejects invalid applications field by field and unknown principals before anything is written', async () => {
    const bad = {
      ...sampleApplication('app-bad'),
      applicant: { ...sampleApplication('x').applicant, dateOfBirth: '1984-13-45', country: 'Germany' },
    };
    await expect(env.submit(bad as never)).rejects.toThrow(
      /applicant\.dateOfBirth[\s\S]*applicant\.country|applicant\.country[\s\S]*applicant\.dateOfBirth/,
    );
    await expect(env.submit(sampleApplication('app-nobody'), undefined, 'mallory')).rejects.toThrow(
      /unknown principal "mallory"/,
    );
    const rows = await env.t.asOwner(
      `SELECT id FROM loan_applications WHERE id IN ('app-bad', 'app-nobody')`,
    );
    expect(rows.rowCount).toBe(0);
  });
});
