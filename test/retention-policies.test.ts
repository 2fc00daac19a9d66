import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetentionRejected } from '../services/retention/errors';
import { storedPolicies, syncPolicies } from '../services/retention/policies';
import { previewClass } from '../services/retention/preview';
import {
  DEFAULT_RETENTION_CONFIG,
  parseDuration,
  resolveRetentionConfig,
  type RetentionConfigInput,
} from '../core/retention';
import type { Database } from '../db/client';
import {
  createTestDatabase,
  type TestDatabase,
  appendEvents,
  dbNow,
  waitUntilAged,
  addPrincipals,
} from './support';
import { createLedger } from '../ledger/ledger';

let t: TestDatabase;
let db: Database;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.connect();
  await addPrincipals(t, ['a', 'alice', 'bob']);
});
afterAll(async () => {
  await t?.drop();
});

const count = async (sql: string, params: unknown[] = []) =>
  Number((await t.asOwner<{ n: string }>(sql, params)).rows[0]?.n ?? 0);

const policy = (id: string, period: string, extra: Record<string, unknown> = {}) => ({
  id,
  dataClasses: ['ledger_payloads'],
  period,
  trigger: 'created' as const,
  action: 'purge_payload' as const,
  description: id,
  ...extra,
});
const cfg = (...policies: ReturnType<typeof policy>[]): RetentionConfigInput => ({
  legalMinimums: { ledger_payloads: 'PT1S' },
  policies,
});

async function rejected(p: Promise<unknown>, re: RegExp) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RetentionRejected);
  expect((err as Error).message).toMatch(re);
}

async function snapshot() {
  return {
    versions: await count('SELECT count(*) AS n FROM retention_policies'),
    events: await count(
      `SELECT count(*) AS n FROM ledger_events WHERE event_type = 'retention.policy_changed'`,
    ),
  };
}

describe('retention policies', () => {
  it('the embedded defaults are valid', () => {
    expect(resolveRetentionConfig(DEFAULT_RETENTION_CONFIG).ok).toBe(true);
    expect(parseDuration('P7Y')).toEqual({ seconds: 7 * 365 * 86400 });
    expect(parseDuration('-P1D')).toHaveProperty('error');
    expect(parseDuration('P0D')).toHaveProperty('error');
  });

  it('every change is a new version and a ledger event; the longest retention wins on overlap', async () => {
    const r = await syncPolicies(createLedger(db), cfg(policy('short', 'PT1S'), policy('long', 'PT1H')), {
      changedBy: 'alice',
      reason: 'initial',
    });
    expect(r.changes).toEqual([
      { kind: 'create', policyId: 'short', version: 1 },
      { kind: 'create', policyId: 'long', version: 1 },
    ]);
    expect(
      (
        await syncPolicies(createLedger(db), cfg(policy('short', 'PT1S'), policy('long', 'PT1H')), {
          changedBy: 'alice',
          reason: 'again',
        })
      ).changes,
    ).toEqual([]);
    await appendEvents(db, 3, { prefix: 'ov' });
    await waitUntilAged(t, 1_100);
    // 'long' (1 h) still covers the payloads: nothing expired although 'short' (1 s) has.
    const p1 = await previewClass(db, 'ledger_payloads', await dbNow(t));
    expect(p1.expired).toBe(0);
    expect(p1.policy_versions).toBe('long@v1,short@v1');
    // Retire 'long' (it is not locked): now the 1 s policy decides.
    const r2 = await syncPolicies(createLedger(db), cfg(policy('short', 'PT1S')), {
      changedBy: 'bob',
      reason: 'drop long',
    });
    expect(r2.changes).toEqual([{ kind: 'retire', policyId: 'long', version: 2 }]);
    const p2 = await previewClass(db, 'ledger_payloads', await dbNow(t));
    expect(p2.expired).toBeGreaterThanOrEqual(3);
    expect(p2.policy_versions).toBe('short@v1');
    const ev = await t.asOwner<{ resource_id: string; action: string; actor_id: string }>(
      `SELECT resource_id, action, actor_id FROM ledger_events WHERE event_type = 'retention.policy_changed' ORDER BY seq`,
    );
    expect(ev.rows).toEqual([
      { resource_id: 'short', action: 'create', actor_id: 'alice' },
      { resource_id: 'long', action: 'create', actor_id: 'alice' },
      { resource_id: 'long', action: 'retire', actor_id: 'bob' },
    ]);
  });

  it('a locked policy can be extended but never shortened, unlocked or removed (also in the database)', async () => {
    await syncPolicies(
      createLedger(db),
      cfg(policy('short', 'PT1S'), policy('locked', 'P1D', { locked: true })),
      {
        changedBy: 'alice',
        reason: 'lock',
      },
    );
    const before = await snapshot();
    await rejected(
      syncPolicies(
        createLedger(db),
        cfg(policy('short', 'PT1S'), policy('locked', 'PT12H', { locked: true })),
        {
          changedBy: 'a',
          reason: 'r',
        },
      ),
      /locked: its period can only be extended/,
    );
    await rejected(
      syncPolicies(
        createLedger(db),
        cfg(policy('short', 'PT1S'), policy('locked', 'P2D', { locked: false })),
        {
          changedBy: 'a',
          reason: 'r',
        },
      ),
      /cannot be unlocked/,
    );
    await rejected(
      syncPolicies(createLedger(db), cfg(policy('short', 'PT1S')), { changedBy: 'a', reason: 'r' }),
      /cannot be removed/,
    );
    expect(await snapshot()).toEqual(before);

    // Bypassing the app: the trigger refuses, whoever inserts the next version.
    const v = (await storedPolicies(db)).find((p) => p.policyId === 'locked')!;
    for (const [period, locked, retired] of [
      [3600, true, false],
      [172800, false, false],
      [172800, true, true],
    ] as const) {
      await expect(
        t.asOwner(
          `INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action, locked,
             legal_minimum_seconds, retired, changed_by, reason)
           VALUES ('locked', $1, '{ledger_payloads}', $2, 'x', 'created', 'purge_payload', $3, 0, $4, 'owner', 'tamper')`,
          [v.version + 1, period, locked, retired],
        ),
      ).rejects.toThrow(/is locked/);
    }
    await expect(
      t.asOwner(`UPDATE retention_policies SET period_seconds = 1 WHERE policy_id = 'locked'`),
    ).rejects.toThrow(/append-only/);
    await expect(t.asOwner(`DELETE FROM retention_policies WHERE policy_id = 'locked'`)).rejects.toThrow(
      /append-only/,
    );
    expect(await snapshot()).toEqual(before);

    const ok = await syncPolicies(
      createLedger(db),
      cfg(policy('short', 'PT1S'), policy('locked', 'P2D', { locked: true })),
      {
        changedBy: 'alice',
        reason: 'extend',
      },
    );
    expect(ok.changes).toEqual([{ kind: 'update', policyId: 'locked', version: v.version + 1 }]);
  });

  it('rejects a policy below its legal minimum, negative or zero periods and unknown classes; nothing changed', async () => {
    const before = await snapshot();
    await rejected(
      syncPolicies(
        createLedger(db),
        { legalMinimums: { ledger_payloads: 'P5Y' }, policies: [policy('short', 'P1Y')] },
        {
          changedBy: 'a',
          reason: 'r',
        },
      ),
      /shorter than the legal minimum P5Y/,
    );
    await rejected(
      syncPolicies(createLedger(db), cfg(policy('neg', '-P1D')), { changedBy: 'a', reason: 'r' }),
      /negative/,
    );
    await rejected(
      syncPolicies(createLedger(db), cfg(policy('zero', 'PT0S')), { changedBy: 'a', reason: 'r' }),
      /zero/,
    );
    await rejected(
      syncPolicies(createLedger(db), cfg(policy('odd', 'P1D', { dataClasses: ['nope'] })), {
        changedBy: 'a',
        reason: 'r',
      }),
      /unknown data class/,
    );
    await rejected(
      syncPolicies(createLedger(db), cfg(policy('odd', 'P1D', { trigger: 'closed' })), {
        changedBy: 'a',
        reason: 'r',
      }),
      /has no "closed" time/,
    );
    // The database checks too.
    for (const [period, min] of [
      [-5, 0],
      [0, 0],
      [10, 20],
    ]) {
      await expect(
        t.asOwner(
          `INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action,
             legal_minimum_seconds, changed_by, reason)
           VALUES ('direct', 1, '{ledger_payloads}', $1, 'x', 'created', 'purge_payload', $2, 'owner', 'x')`,
          [period, min],
        ),
      ).rejects.toThrow(/violates check constraint/);
    }
    expect(await snapshot()).toEqual(before);
  });
});
