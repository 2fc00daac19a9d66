import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULESET } from '../core/monitoring/config';
import { ingestText, listAlerts, type MonitoringDeps, type ReplayReport } from '../services/monitoring';
import { ensurePrincipal } from '../services/principals/principals';
import { createTestDatabase, type TestDatabase } from './helpers';
import { runCli } from './monitoring-cli';
import { DAY, HOUR, T0, actor, deps, jsonl, tx } from './monitoring-helpers';

let t: TestDatabase;
let d: MonitoringDeps;
let dir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  d = deps(t);
  await ensurePrincipal(d.db, 'mon-admin', ['admin']);
  dir = await mkdtemp(path.join(tmpdir(), 'lf-monitoring-'));
});
afterAll(() => t?.drop());

const cash = (a: string, at: number) =>
  tx(a, at, { channel: 'cash', direction: 'credit', amount: '9000.00', counterparty_id: 'branch' });
const range = ['--from', new Date(T0 - DAY).toISOString(), '--to', new Date(T0 + 10 * DAY).toISOString()];

describe('shadow rule versions and replay', () => {
  it('a shadow version records its alerts without raising them; replay diffs it against the live alerts', async () => {
    // Live (v1) alerts on 3 structuring credits; background traffic and a near miss (2 credits).
    const three = [0, 1, 2].map((i) => cash('sh-3', i * HOUR));
    const two = [0, 1].map((i) => cash('sh-2', i * HOUR));
    const background = Array.from({ length: 30 }, (_, i) => tx(`sh-bg-${i % 5}`, i * HOUR));
    await ingestText(d, actor, jsonl([...three, ...two, ...background]));
    expect((await listAlerts(d.db, {})).alerts.map((a) => a.account_id)).toEqual(['sh-3']);

    const liveReplay = await runCli(t, ['rules', 'replay', ...range, '--version', '1', '--json']);
    expect(liveReplay.code, liveReplay.err).toBe(0);
    expect(JSON.parse(liveReplay.out)).toMatchObject({
      version: 1,
      live_version: 1,
      transactions: 35,
      diff: [],
    });

    // v2: structuring from 2 credits, in shadow.
    const v2 = structuredClone(DEFAULT_RULESET);
    v2.version = 2;
    v2.rules.structuring!.params = { ...v2.rules.structuring!.params, minCount: 2 };
    const file = path.join(dir, 'v2.json');
    await writeFile(file, JSON.stringify(v2));
    const added = await runCli(t, ['rules', 'add', file]);
    expect(added.code, added.err).toBe(0);
    expect(added.err).toMatch(/rule set v2 added in shadow mode/);

    const diff = JSON.parse(
      (await runCli(t, ['rules', 'replay', ...range, '--version', '2', '--json'])).out,
    ) as ReplayReport;
    expect(diff.diff).toEqual([
      expect.objectContaining({ change: 'added', account_id: 'sh-2', typology: 'structuring', live: null }),
      expect.objectContaining({ change: 'added', account_id: 'sh-3', typology: 'structuring' }),
      expect.objectContaining({
        change: 'removed',
        account_id: 'sh-3',
        typology: 'structuring',
        replay: null,
      }),
    ]);
    // sh-3 alerts under v2 already at its 2nd credit (the live alert is at the 3rd).
    expect(diff.diff[1]!.trigger_transaction_id).toBe(three[1]!.transaction_id);
    expect(diff.diff[2]!.trigger_transaction_id).toBe(three[2]!.transaction_id);

    const events = Number(
      (
        await t.asOwner(
          `SELECT count(*) AS n FROM ledger_events WHERE event_type = 'monitoring.alert_raised'`,
        )
      ).rows[0]!.n,
    );
    const more = [0, 1].map((i) => cash('sh-new', 3 * DAY + i * HOUR));
    const s = await ingestText(d, actor, jsonl(more));
    expect(s).toMatchObject({ alerts: 0, shadow_alerts: 1, shadow_versions: [2] });
    expect((await listAlerts(d.db, { account: 'sh-new' })).alerts).toEqual([]);
    expect((await listAlerts(d.db, { account: 'sh-new', mode: 'shadow' })).alerts).toEqual([
      expect.objectContaining({ mode: 'shadow', rule_set_version: 2, typology: 'structuring' }),
    ]);
    expect(
      Number(
        (
          await t.asOwner(
            `SELECT count(*) AS n FROM ledger_events WHERE event_type = 'monitoring.alert_raised'`,
          )
        ).rows[0]!.n,
      ),
    ).toBe(events);

    const bad = await runCli(t, ['rules', 'add', file]);
    expect(bad).toMatchObject({
      code: 2,
      err: 'error: rule set version must be 3 (the next version), got 2\n',
    });
    const promoted = await runCli(t, ['rules', 'promote', '2']);
    expect(promoted.code, promoted.err).toBe(0);
    const list = JSON.parse((await runCli(t, ['rules', 'list', '--json'])).out) as Array<{
      version: number;
      mode: string;
    }>;
    expect(list.map((v) => [v.version, v.mode])).toEqual([
      [1, 'retired'],
      [2, 'live'],
    ]);
  });

  it('rejects an invalid rule set with one line naming the field', async () => {
    const file = path.join(dir, 'bad.json');
    const v = structuredClone(DEFAULT_RULESET);
    v.version = 3;
    v.rules.velocity!.params = { ...v.rules.velocity!.params, minCount: -1 };
    await writeFile(file, JSON.stringify(v));
    const r = await runCli(t, ['rules', 'add', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: invalid rule set: rules\.velocity\.params\.minCount: .+\n$/);
  });
});
