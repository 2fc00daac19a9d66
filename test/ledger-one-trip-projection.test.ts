import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import type { OneTripProjection } from '../ledger/append-one-trip';
import { LedgerValidationError } from '../ledger/errors';
import { createLedger, type Ledger } from '../ledger/ledger';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);

let t: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  t = await createTestDatabase();
  ledger = createLedger(t.connect(), { signer, checkpointEvery: 8 });
  // A projection table of the test's own; `n` may not go negative, so a projection can be made to fail.
  await t.asOwner(`CREATE TABLE proj_counters (id text PRIMARY KEY, n integer NOT NULL CHECK (n >= 0))`);
  await t.asOwner(`GRANT SELECT, INSERT, UPDATE ON proj_counters TO ledgerflow_writer`);
});
afterAll(async () => {
  await t.drop();
});

/** Adds `by` to counter `id` (created at `by`): one statement, target the counter's row. */
const bump = (id: string, by = 1): OneTripProjection => ({
  target: `proj_counters:${id}`,
  sql: (p) =>
    `INSERT INTO proj_counters (id, n) VALUES (${p(id)}, ${p(by)})
     ON CONFLICT (id) DO UPDATE SET n = proj_counters.n + EXCLUDED.n`,
});

const counter = async (id: string) =>
  (await t.asOwner<{ n: number }>(`SELECT n FROM proj_counters WHERE id = $1`, [id])).rows[0]?.n;

/** The transaction ids (xmin) of the events whose keys start with `prefix`. */
const eventXmins = async (prefix: string) =>
  (
    await t.asOwner<{ x: string }>(
      `SELECT xmin::text AS x FROM ledger_events WHERE starts_with(idempotency_key, $1) ORDER BY seq`,
      [prefix],
    )
  ).rows.map((r) => r.x);

describe('one-round-trip append with a projection', () => {
  it('commits the event and its projection in one transaction', async () => {
    const r = await ledger.appendOneTrip(sampleEvent(), {
      stream: 'proj',
      idempotencyKey: 'one-1',
      project: bump('one'),
    });
    expect(r.created).toBe(true);
    const row = await t.asOwner<{ x: string }>(`SELECT xmin::text AS x FROM proj_counters WHERE id = 'one'`);
    expect(await eventXmins('one-')).toEqual([row.rows[0]?.x]);
  });

  it('a retried append writes no second event and runs its (idempotent) projection again', async () => {
    const set: OneTripProjection = {
      target: 'proj_counters:retry',
      sql: (p) =>
        `INSERT INTO proj_counters (id, n) VALUES ('retry', ${p(7)}) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n`,
    };
    const first = await ledger.appendOneTrip(sampleEvent(), {
      stream: 'proj',
      idempotencyKey: 'retry-1',
      project: set,
    });
    await t.asOwner(`UPDATE proj_counters SET n = 0 WHERE id = 'retry'`);
    const again = await ledger.appendOneTrip(sampleEvent(), {
      stream: 'proj',
      idempotencyKey: 'retry-1',
      project: set,
    });
    expect(again).toMatchObject({ created: false, seq: first.seq, hash: first.hash });
    expect(await eventXmins('retry-')).toHaveLength(1);
    expect(await counter('retry')).toBe(7);
  });

  it('a failing projection writes nothing and fails only its own call; the others commit', async () => {
    await t.asOwner(`INSERT INTO proj_counters (id, n) VALUES ('fail', 0)`);
    const calls = Array.from({ length: 10 }, (_, i) =>
      ledger.appendOneTrip(sampleEvent({ payload: { i } }), {
        stream: 'proj',
        idempotencyKey: `fail-${i}`,
        // The last call's projection takes the counter below zero: the CHECK rejects it.
        project: i === 9 ? bump('fail', -1) : bump(`ok-${i}`),
      }),
    );
    const settled = await Promise.allSettled(calls);
    expect(settled.slice(0, 9).every((s) => s.status === 'fulfilled')).toBe(true);
    expect(settled[9]).toMatchObject({ status: 'rejected', reason: { code: '23514' } });
    expect(await eventXmins('fail-')).toHaveLength(9);
    for (let i = 0; i < 9; i++) expect(await counter(`ok-${i}`)).toBe(1);
    expect(await counter('fail')).toBe(0);
  });

  it('calls whose projections share a target never share a statement: no change is lost', async () => {
    // PostgreSQL applies only one of two UPDATEs of one row in one statement: without the split by
    // target, concurrent calls group-committed together would lose increments.
    await t.asOwner(`INSERT INTO proj_counters (id, n) VALUES ('same', 0)`);
    const increment: OneTripProjection = {
      target: 'proj_counters:same',
      sql: (p) => `UPDATE proj_counters SET n = n + 1 WHERE id = ${p('same')}`,
    };
    const n = 24;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        ledger.appendOneTrip(sampleEvent({ payload: { i } }), {
          stream: 'proj',
          idempotencyKey: `same-${i}`,
          project: increment,
        }),
      ),
    );
    expect(await counter('same')).toBe(n);
    expect(await eventXmins('same-')).toHaveLength(n);
  });

  it('calls with different targets still share statements (group commit)', async () => {
    const n = 24;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        ledger.appendOneTrip(sampleEvent({ payload: { i } }), {
          stream: 'proj',
          idempotencyKey: `many-${i}`,
          project: bump(`many-${i}`),
        }),
      ),
    );
    const xmins = await eventXmins('many-');
    expect(xmins).toHaveLength(n);
    expect(new Set(xmins).size).toBeLessThan(n);
  });

  it('appendManyOneTrip writes all of its events and the projection, or none', async () => {
    await t.asOwner(`INSERT INTO proj_counters (id, n) VALUES ('many-none', 0)`);
    const items = [
      { event: sampleEvent({ payload: { k: 1 } }), idempotencyKey: 'pair-1' },
      { event: sampleEvent({ payload: { k: 2 } }), idempotencyKey: 'pair-2' },
    ];
    await expect(
      ledger.appendManyOneTrip(items, { stream: 'proj', project: bump('many-none', -1) }),
    ).rejects.toMatchObject({ code: '23514' });
    expect(await eventXmins('pair-')).toHaveLength(0);
    await expect(
      ledger.appendManyOneTrip(
        [...items, { event: sampleEvent({ outcome: 'maybe' }), idempotencyKey: 'pair-3' }],
        {
          stream: 'proj',
        },
      ),
    ).rejects.toBeInstanceOf(LedgerValidationError);
    expect(await eventXmins('pair-')).toHaveLength(0);
    const written = await ledger.appendManyOneTrip(items, { stream: 'proj', project: bump('pair') });
    expect(written.map((r) => r.seq)).toEqual([written[0]!.seq, written[0]!.seq + 1]);
    const x = await eventXmins('pair-');
    expect(x).toHaveLength(2);
    expect(new Set(x).size).toBe(1);
    expect(await counter('pair')).toBe(1);
  });

  it('leaves a chain the verifier accepts', async () => {
    await ledger.head();
    const result = await verifyLedger(t.connect('ledgerflow_reader'), { trustedKeys: pinned });
    expect(result).toMatchObject({ valid: true });
  });
});
