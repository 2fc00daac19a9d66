import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { register } from '../client/commands/posture';
import { alarmWebhook, loadConfig } from '../runtime/config';
import { scheduleId } from '../client/commands/schedules';
import { createTestDatabase, type TestDatabase } from './helpers';
import { healthySystem, type HealthySystem } from './posture-helpers';
import { createTemporalTestEnv, type TemporalTestEnv } from './temporal-helpers';

let t: TestDatabase;
let temporal: TemporalTestEnv;
let sys: HealthySystem;

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  sys = await healthySystem(t, temporal);
  process.env.DATABASE_URL = t.ownerUrl;
  process.env.LEDGERFLOW_WITNESS_DIR = path.dirname(sys.witness.location);
  process.env.TEMPORAL_ADDRESS = inject('temporalAddress');
  delete process.env.LEDGERFLOW_PRINCIPAL;
});
afterAll(async () => {
  await sys?.deleteSchedules();
  await temporal?.close();
  await t?.drop();
});

/** Table output without its colour codes. */
const plain = (s: string) => s.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');

/** Runs `ledgerflow posture ...` in this process (the command module, not yet in the CLI's list). */
async function posture(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = new Command().exitOverride();
  register(program);
  let out = '';
  let err = '';
  const write = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await program.parseAsync(['posture', '--schedule-prefix', sys.prefix, ...args], { from: 'user' });
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}

const reportCount = async () =>
  Number(
    (
      await t.asOwner<{ n: string }>(
        `SELECT count(*) AS n FROM ledger_events WHERE event_type = 'compliance.posture_reported'`,
      )
    ).rows[0]!.n,
  );

describe('ledgerflow posture', () => {
  it('refuses an unknown principal in one line, writing nothing', async () => {
    const r = await posture(['--as', 'nobody', '--json']);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe('error: denied: unknown principal "nobody" (see "ledgerflow principals list")');
    expect(await reportCount()).toBe(0);
    const both = await posture(['--as', 'alice', '--json', '--html', 'x.html']);
    expect(both.code).toBe(2);
    expect(both.err.trim()).toBe('error: --json and --html are exclusive: pick one');
  });

  it('exits 0 on a system in posture and stores the signed report', async () => {
    const r = await posture(['--as', 'alice', '--json']);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as {
      report: { ok: boolean; requested_by: string; results: Array<{ status: string }> };
      recorded: { stream: string; seq: number; key_id: string };
    };
    expect(out.report.ok).toBe(true);
    expect(out.report.requested_by).toBe('alice');
    expect(out.recorded).toMatchObject({ stream: 'compliance', key_id: sys.signer.keyId });
    expect(await reportCount()).toBe(1);
  });

  it('exits 1 on a failing control, writes the HTML report and raises an alarm', async () => {
    const h = temporal.client.schedule.getHandle(scheduleId('retention', sys.prefix));
    await h.pause('cli test');
    try {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'posture-html-')), 'posture.html');
      const r = await posture(['--as', 'alice', '--html', file]);
      expect(r.code).toBe(1);
      expect(plain(r.out)).toMatch(/schedules-active\W+FAIL\W+posture-\w+-retention paused/);
      expect(r.err).toMatch(/alarm fired: posture:schedules-active \(compliance#\d+\)/);
      expect(existsSync(file)).toBe(true);
      const html = readFileSync(file, 'utf8');
      expect(html).toContain('ledgerflow posture: FAILING');
      expect(html).toContain('SOC 2 CC7.2');
    } finally {
      await h.unpause('cli test');
    }
    const fired = await t.asOwner(
      `SELECT 1 FROM ledger_events WHERE event_type = 'alarm.fired' AND resource_id = 'posture:schedules-active'`,
    );
    expect(fired.rowCount).toBe(1);
    // Back in posture: the alarm resolves.
    const ok = await posture(['--as', 'alice']);
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect(ok.err).toMatch(/alarm resolved: posture:schedules-active/);
  });
});

describe('alarm webhook configuration', () => {
  it('a webhook URL without its secret is refused in one line naming the variable', () => {
    expect(() => loadConfig({ LEDGERFLOW_ALARM_WEBHOOK_URL: 'http://127.0.0.1:9/alarms' })).toThrow(
      /^LEDGERFLOW_ALARM_WEBHOOK_SECRET: required with LEDGERFLOW_ALARM_WEBHOOK_URL/,
    );
    expect(() =>
      loadConfig({
        LEDGERFLOW_ALARM_WEBHOOK_URL: 'ftp://x',
        LEDGERFLOW_ALARM_WEBHOOK_SECRET: 'a'.repeat(16),
      }),
    ).toThrow(/LEDGERFLOW_ALARM_WEBHOOK_URL must start with http:\/\/ or https:\/\//);
    const c = loadConfig({
      LEDGERFLOW_ALARM_WEBHOOK_URL: 'https://h/a',
      LEDGERFLOW_ALARM_WEBHOOK_SECRET: 's'.repeat(16),
    });
    expect(alarmWebhook(c)).toEqual({ url: 'https://h/a', secret: 's'.repeat(16) });
    expect(alarmWebhook(loadConfig({}))).toBeUndefined();
  });
});
