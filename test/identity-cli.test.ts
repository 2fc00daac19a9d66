import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SCHEDULE_NAMES, scheduleId } from '../client/commands/schedules';
import { connectTemporalClient } from '../client/temporal';
import { sampleApplication } from '../simulators/loan-fixtures';
import { createTestDatabase, sampleEvent, type TestDatabase } from './helpers';

/**
 * One spawned-CLI denial per command group that acts as a principal, and the CLI cases of the
 * issue's "Why" list. Each refusal must be one line, exit 2, and leave nothing written.
 */
const bin = path.join(__dirname, '..', 'bin', 'ledgerflow.cjs');
let t: TestDatabase;
let dir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-identity-'));
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES
       ('root', 'Root', '{admin}', 'test'), ('rev-only', 'Reviewer', '{reviewer}', 'test'),
       ('comp-1', 'Compliance', '{compliance}', 'test'), ('op-1', 'Operator', '{operator}', 'test')`,
  );
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string | undefined> = {}, input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: {
      ...process.env,
      DATABASE_URL: t.ownerUrl,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      LEDGERFLOW_DATA_DIR: path.join(dir, 'data'),
      LEDGERFLOW_PRINCIPAL: undefined,
      ...env,
    },
    input,
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const count = async (sql: string) => Number((await t.asOwner<{ n: string }>(sql)).rows[0]?.n);

/** A refusal: exit 2 and exactly one line, starting with `prefix`. */
function expectRefused(r: { code: number | null; err: string }, prefix: RegExp) {
  expect(r.code, r.err).toBe(2);
  // Progress notes ("ledgerflow: generated a signing key ...") are not part of the refusal.
  const lines = r.err
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('ledgerflow: '));
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(prefix);
}

describe('CLI denials, one per command group', () => {
  it('retention: policies --apply and run refuse unknown principals and a missing one (no default "cli")', async () => {
    expectRefused(
      cli(['retention', 'policies', '--apply', '--as', 'nobody-here', '--reason', 'annual review']),
      /^error: denied: unknown principal "nobody-here"/,
    );
    expectRefused(cli(['retention', 'policies', '--apply']), /^error: denied: no acting principal/);
    expect(await count(`SELECT count(*) AS n FROM retention_policies`)).toBe(0);
    expectRefused(
      cli(['retention', 'run', '--as', 'ghost-user']),
      /^error: denied: unknown principal "ghost-user"/,
    );
    expect(
      await count(`SELECT count(*) AS n FROM ledger_events WHERE event_type LIKE 'retention.purge%'`),
    ).toBe(0);
    // A denial without valid credentials is summarised, never under the claimed name.
    expect(
      await count(`SELECT count(*) AS n FROM ledger_events WHERE actor_id IN ('nobody-here', 'ghost-user')`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*) AS n FROM ledger_events WHERE event_type = 'access.denied.summary'`),
    ).toBeGreaterThanOrEqual(1);
  });

  it('ledger: append needs a principal, never reaches ledgerflow’s own streams, and records the principal as actor', async () => {
    const forged = JSON.stringify(
      sampleEvent({
        event_type: 'principal.added',
        actor: { type: 'system', id: 'bootstrap' },
        resource: { type: 'principal', id: 'mallory' },
      }),
    );
    expectRefused(
      cli(['ledger', 'append', '--stream', 'admin'], {}, forged),
      /stream "admin" is ledgerflow's own/,
    );
    expectRefused(
      cli(['ledger', 'append', '--stream', 'admin', '--as', 'root'], {}, forged),
      /stream "admin" is ledgerflow's own/,
    );
    expectRefused(
      cli(['ledger', 'append', '--stream', 'imports'], {}, forged),
      /^error: denied: no acting principal/,
    );
    expect(await count(`SELECT count(*) AS n FROM ledger_events WHERE resource_id = 'mallory'`)).toBe(0);
    const ok = cli(['ledger', 'append', '--stream', 'imports'], { LEDGERFLOW_PRINCIPAL: 'op-1' }, forged);
    expect(ok.code, ok.err).toBe(0);
    const row = (
      await t.asOwner<{ actor_id: string; claimed: unknown }>(
        `SELECT e.actor_id, p.payload->'on_behalf_of' AS claimed FROM ledger_events e
           JOIN ledger_payloads p USING (stream, seq) WHERE e.stream = 'imports'`,
      )
    ).rows;
    expect(row).toEqual([{ actor_id: 'op-1', claimed: { type: 'system', id: 'bootstrap' } }]);
  });

  it('schedules: install, pause, unpause and trigger need a principal allowed to manage schedules', () => {
    expectRefused(cli(['schedules', 'install']), /^error: denied: no acting principal/);
    expectRefused(cli(['schedules', 'pause', 'retention']), /^error: denied: no acting principal/);
    expectRefused(
      cli(['schedules', 'unpause', 'retention', '--as', 'ghost']),
      /^error: denied: unknown principal/,
    );
    expectRefused(
      cli(['schedules', 'trigger', 'verification'], { LEDGERFLOW_PRINCIPAL: 'rev-only' }),
      /^error: denied: principal "rev-only" may not schedule\.manage/,
    );
  });

  it('hold: a reviewer may not place a hold; LEDGERFLOW_PRINCIPAL is honoured', async () => {
    const place = ['hold', 'place', '--case', 'c-9', '--case-id', 'MATTER-9', '--reason', 'litigation'];
    expectRefused(
      cli([...place, '--as', 'rev-only']),
      /^error: denied: principal "rev-only" may not hold\.place/,
    );
    expect(await count(`SELECT count(*) AS n FROM legal_holds`)).toBe(0);
    // The denial of a known principal is on record under its id.
    expect(
      await count(
        `SELECT count(*) AS n FROM ledger_events WHERE event_type = 'access.denied' AND actor_id = 'rev-only' AND resource_id = 'hold.place'`,
      ),
    ).toBe(1);
    const ok = cli(place, { LEDGERFLOW_PRINCIPAL: 'comp-1' });
    expect(ok.code, ok.err).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM legal_holds WHERE placed_by = 'comp-1'`)).toBe(1);
  });

  it('principals and api keys: only an admin manages them', () => {
    expectRefused(
      cli(['principals', 'add', 'eve', '--roles', 'admin', '--as', 'op-1']),
      /^error: denied: principal "op-1" may not principal\.manage/,
    );
    expectRefused(
      cli(['principals', 'deactivate', 'op-1', '--reason', 'x'], { LEDGERFLOW_PRINCIPAL: 'rev-only' }),
      /^error: denied: principal "rev-only"/,
    );
    expectRefused(
      cli(['api', 'keys', 'create', '--principal', 'op-1', '--role', 'auditor']),
      /^error: denied: no acting principal/,
    );
  });

  it('loan, screen, lists, history: refused without an allowed principal', () => {
    writeFileSync(path.join(dir, 'app.json'), JSON.stringify(sampleApplication('app-deny')));
    expectRefused(
      cli(['loan', 'start', '--file', path.join(dir, 'app.json'), '--as', 'rev-only']),
      /^error: denied: principal "rev-only"/,
    );
    expectRefused(
      cli(['loan', 'review', 'app-deny', '--approve', '--reason', 'ok', '--as', 'op-1']),
      /^error: denied:/,
    );
    expectRefused(
      cli(['screen', 'name', 'Jane Doe', '--as', 'rev-only']),
      /^error: denied: principal "rev-only"/,
    );
    expectRefused(cli(['lists', 'load', 'nowhere.csv']), /^error: denied: no acting principal/);
    expectRefused(cli(['history', 'archive', 'wf-1']), /^error: denied: no acting principal/);
  });
});

describe('schedule changes are on record', () => {
  // The CLI installs the schedules under their production ids; a task queue nobody polls keeps
  // anything they fire from running, and afterAll deletes them.
  const queue = `identity-${process.pid}`;
  afterAll(async () => {
    const client = await connectTemporalClient(inject('temporalAddress'), 'default');
    for (const name of SCHEDULE_NAMES)
      await client.schedule
        .getHandle(scheduleId(name))
        .delete()
        .catch(() => undefined);
    await client.connection.close();
  });

  it('install and pause by an operator are ledger events with the operator as actor', async () => {
    const env = { LEDGERFLOW_PRINCIPAL: 'op-1', TEMPORAL_TASK_QUEUE: queue };
    const installed = cli(['schedules', 'install'], env);
    expect(installed.code, installed.err).toBe(0);
    const paused = cli(['schedules', 'pause', 'retention', '--note', 'audit freeze'], env);
    expect(paused.code, paused.err).toBe(0);
    const rows = (
      await t.asOwner<{ event_type: string; actor_id: string; resource_id: string }>(
        `SELECT event_type, actor_id, resource_id FROM ledger_events WHERE event_type LIKE 'schedule.%' ORDER BY seq`,
      )
    ).rows;
    expect(rows).toEqual([
      { event_type: 'schedule.installed', actor_id: 'op-1', resource_id: scheduleId('retention') },
      { event_type: 'schedule.installed', actor_id: 'op-1', resource_id: scheduleId('verification') },
      { event_type: 'schedule.installed', actor_id: 'op-1', resource_id: scheduleId('posture') },
      { event_type: 'schedule.paused', actor_id: 'op-1', resource_id: scheduleId('retention') },
    ]);
  });
});

describe('errors never print personal data', () => {
  it('a loan with a NUL character in the name is rejected naming the field, without a stack or personal data', async () => {
    const app = sampleApplication('app-nul');
    app.applicant.fullName = 'Maria\u0000Schneider';
    writeFileSync(path.join(dir, 'nul.json'), JSON.stringify(app));
    const r = cli(['loan', 'start', '--file', path.join(dir, 'nul.json'), '--as', 'op-1']);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/applicant\.fullName: must not contain control characters/);
    expect(r.err).not.toMatch(/1984-06-02|ID-APPNUL|Maria|Schneider|\n\s+at /);
    expect(await count(`SELECT count(*) AS n FROM loan_applications`)).toBe(0);
  });
});
