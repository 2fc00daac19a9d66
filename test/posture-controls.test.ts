import { utimesSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostureSettingsSchema, type PostureSettingsInput } from '../core/posture/settings';
import type { ControlResult } from '../core/posture/types';
import { scheduleId } from '../client/commands/schedules';
import type { ProbeContext } from '../services/posture/control';
import { CONTROLS } from '../services/posture/controls';
import { runPosture } from '../services/posture/run';
import { createTestDatabase, sampleEvent, type TestDatabase } from './helpers';
import {
  healthySystem,
  inRolledBackOwnerTx,
  screeningPolicyVersion,
  waitFor,
  type HealthySystem,
} from './posture-helpers';
import { createTemporalTestEnv, type TemporalTestEnv } from './temporal-helpers';

let t: TestDatabase;
let temporal: TemporalTestEnv;
let sys: HealthySystem;

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  sys = await healthySystem(t, temporal);
});
afterAll(async () => {
  await sys?.deleteSchedules();
  await temporal?.close();
  await t?.drop();
});

type Over = Partial<Omit<ProbeContext, 'settings'>> & { settings?: PostureSettingsInput };

function ctx(over: Over = {}): ProbeContext {
  return {
    db: sys.db,
    now: new Date().toISOString(),
    temporal: temporal.client,
    signer: sys.signer,
    signingKeyFile: sys.signingKeyFile,
    witness: sys.witness,
    ...over,
    settings: PostureSettingsSchema.parse({ ...sys.settings, ...over.settings }),
  };
}

async function check(id: string, over: Over = {}): Promise<ControlResult> {
  const report = await runPosture(ctx(over), {
    requestedBy: 'alice',
    controls: CONTROLS.filter((c) => c.definition.id === id),
  });
  const r = report.results[0];
  if (!r) throw new Error(`no control ${id}`);
  return r;
}

describe('posture controls against the live system', () => {
  it('a system in posture passes every control, each with evidence and framework references', async () => {
    const report = await runPosture(ctx(), { requestedBy: 'alice' });
    const failing = report.results
      .filter((r) => r.status !== 'pass')
      .map((r) => `${r.control.id}: ${r.detail}`);
    expect(failing).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => r.control.id)).toEqual(CONTROLS.map((c) => c.definition.id));
    for (const r of report.results) {
      expect(r.control.frameworks.length).toBeGreaterThan(0);
      expect(r.evidence.probe.length).toBeGreaterThan(0);
      expect(Date.parse(r.evidence.at)).not.toBeNaN();
    }
  });

  it('UPDATE granted to the writer on a ledger table fails the append-only and least-privilege controls', async () => {
    await t.asOwner('GRANT UPDATE ON ledger_events TO ledgerflow_writer');
    try {
      const append = await check('ledger-append-only');
      expect(append.status).toBe('fail');
      expect(append.evidence.observed).toMatchObject({
        write_grants: ['UPDATE on ledger_events to ledgerflow_writer'],
      });
      const roles = await check('app-roles-least-privilege');
      expect(roles.status).toBe('fail');
      expect(roles.detail).toMatch(/unexpected grants: UPDATE on ledger_events to ledgerflow_writer/);
    } finally {
      await t.asOwner('REVOKE UPDATE ON ledger_events FROM ledgerflow_writer');
    }
    expect((await check('ledger-append-only')).status).toBe('pass');
  });

  it('a missing guard trigger fails the append-only control', async () => {
    // Dropping is blocked by the event trigger for the owner too; a superuser session can bypass it.
    const r = await inRolledBackOwnerTx(
      t,
      `SET LOCAL session_replication_role = replica; ALTER TABLE ledger_heads DISABLE TRIGGER ledger_heads_append_only`,
      (db) => check('ledger-append-only', { db }),
    );
    expect(r.status).toBe('fail');
    expect(r.evidence.observed).toMatchObject({
      missing_or_disabled: ['ledger_heads.ledger_heads_append_only'],
    });
  });

  it('an app role made superuser fails the least-privilege control (arranged in a rolled-back transaction)', async () => {
    const r = await inRolledBackOwnerTx(t, 'ALTER ROLE ledgerflow_purger SUPERUSER', (db) =>
      check('app-roles-least-privilege', { db }),
    );
    expect(r.status).toBe('fail');
    expect(r.evidence.observed).toMatchObject({ powers: ['ledgerflow_purger rolsuper'] });
    expect(r.detail).toMatch(/cluster powers: ledgerflow_purger rolsuper/);
  });

  it('a data class whose policy was dropped (retired) fails the retention-coverage control', async () => {
    await screeningPolicyVersion(t, 2, true);
    const r = await check('retention-coverage');
    expect(r.status).toBe('fail');
    expect(r.detail).toBe('data classes without a retention policy: screening_results');
    expect(r.evidence.observed).toMatchObject({
      classes: expect.arrayContaining([{ data_class: 'screening_results', policy_id: null }]),
    });
    await screeningPolicyVersion(t, 3, false);
    expect((await check('retention-coverage')).status).toBe('pass');
  });

  it('a last verification older than its window fails the verification control', async () => {
    const later = new Date(Date.now() + 4 * 3_600_000).toISOString();
    const r = await check('verification-recent', { now: later });
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/last successful verification 4\.0 h ago \(window 3 h\)/);
    expect(r.evidence.observed).toMatchObject({ last_success: { seq: expect.any(Number) } });
  });

  it('rows expired past the grace period and not purged fail the purge-not-overdue control', async () => {
    await sys.ledger.append(sampleEvent(), { idempotencyKey: 'overdue-1' });
    const r = await waitFor(async () => {
      const x = await check('purge-not-overdue', { settings: { purgeGraceHours: 0.001 } });
      return x.status === 'fail' ? x : undefined;
    }, 'the payload to become overdue');
    expect(r.detail).toMatch(/not purged: ledger_payloads \(\d+\)/);
    expect((await check('purge-not-overdue')).status).toBe('pass');
  });

  it('an active legal hold without a case id or by an unknown owner fails the legal-holds control', async () => {
    await t.asOwner(
      `INSERT INTO legal_holds (hold_id, scope, scope_value, case_id, reason, placed_by)
       VALUES ('00000000-0000-4000-8000-000000000001', 'subject', 's-1', ' ', 'test', 'alice'),
              ('00000000-0000-4000-8000-000000000002', 'subject', 's-2', 'CASE-2', 'test', 'mallory')`,
    );
    const r = await check('legal-holds-owned');
    expect(r.status).toBe('fail');
    expect(r.evidence.observed).toMatchObject({
      problems: [
        { hold_id: '00000000-0000-4000-8000-000000000001', problem: 'no case id' },
        { hold_id: '00000000-0000-4000-8000-000000000002', problem: 'owner is not a known principal' },
      ],
    });
    await t.asOwner(
      `INSERT INTO legal_hold_releases (hold_id, released_by, reason) VALUES
        ('00000000-0000-4000-8000-000000000001', 'bob', 'test'), ('00000000-0000-4000-8000-000000000002', 'bob', 'test')`,
    );
    expect((await check('legal-holds-owned')).status).toBe('pass');
  });

  it('a signing key older than the rotation period fails the key-rotation control', async () => {
    const old = new Date(Date.now() - 400 * 86_400_000);
    utimesSync(sys.signingKeyFile, old, old);
    try {
      const r = await check('signing-key-rotation');
      expect(r.status).toBe('fail');
      expect(r.detail).toBe('signing key is 400 days old (rotate within 365)');
      expect(r.evidence.probe).toContain(sys.signingKeyFile);
    } finally {
      const now = new Date();
      utimesSync(sys.signingKeyFile, now, now);
    }
    expect((await check('signing-key-rotation')).status).toBe('pass');
  });

  it('principals and API keys unused for N days are flagged', async () => {
    await t.asOwner(
      `INSERT INTO principals (id, display_name, created_by, created_at) VALUES ('dora', 'dora', 'test', now() - interval '200 days');
       INSERT INTO api_keys (key_id, key_hash, principal_id, role, created_at) VALUES ('k0000000dead', '\\x00', 'dora', 'auditor', now() - interval '120 days')`,
    );
    const r = await check('dormant-access');
    expect(r.status).toBe('fail');
    expect(r.evidence.observed).toMatchObject({ dormant: ['principal dora', 'api_key k0000000dead'] });
    // A recent act by the principal clears both (the key's use is its principal's API use: not yet).
    await sys.ledger.append(
      sampleEvent({ actor: { type: 'user', id: 'dora' }, context: { request: { source: 'api' } } }),
      { idempotencyKey: 'dora-acts' },
    );
    expect((await check('dormant-access')).status).toBe('pass');
  });

  it('a paused or missing schedule fails the schedules control', async () => {
    const h = temporal.client.schedule.getHandle(scheduleId('verification', sys.prefix));
    await h.pause('posture test');
    try {
      const r = await check('schedules-active');
      expect(r.status).toBe('fail');
      expect(r.detail).toBe(`${scheduleId('verification', sys.prefix)} paused`);
    } finally {
      await h.unpause('posture test');
    }
    expect((await check('schedules-active')).status).toBe('pass');
    const missing = await check('schedules-active', {
      settings: { schedules: ['posture-no-such-schedule'] },
    });
    expect(missing.detail).toBe('posture-no-such-schedule not installed');
    const noTemporal = await check('schedules-active', { temporal: undefined });
    expect(noTemporal.status).toBe('error');
  });

  it('a witness publication older than its window (with a newer live head) fails the witness control', async () => {
    const fresh = await check('witness-published');
    expect(fresh.status).toBe('pass');
    const observed = fresh.evidence.observed as { last_published: { version: number; signed_at: string } };
    expect(observed.last_published.version).toBeGreaterThan(0);
    // The live head moves past the published one; the publication then ages past 24 h.
    await sys.ledger.append(sampleEvent(), { idempotencyKey: 'witness-ageing' });
    await sys.ledger.head();
    const later = new Date(Date.parse(observed.last_published.signed_at) + 25 * 3_600_000).toISOString();
    const aged = await check('witness-published', { now: later });
    expect(aged.status).toBe('fail');
    expect(aged.detail).toMatch(
      new RegExp(
        `^last published head version ${observed.last_published.version} was signed 25\\.0 h ago \\(window 24 h\\); the live head is version \\d+$`,
      ),
    );
    expect(
      (await check('witness-published', { now: later, settings: { witnessMaxAgeHours: 26 } })).status,
    ).toBe('pass');
    const none = await check('witness-published', { witness: undefined });
    expect(none).toMatchObject({
      status: 'fail',
      detail: 'no witness configured (set LEDGERFLOW_WITNESS_DIR)',
    });
  });
});
