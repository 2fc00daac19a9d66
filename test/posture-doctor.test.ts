import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createLedger, type Ledger } from '../ledger/ledger';
import { recordAlarmChange } from '../services/posture/alarms';
import { createCli, createTestDatabase, type TestDatabase } from './support';

let t: TestDatabase;
const keyFile = path.join(mkdtempSync(path.join(tmpdir(), 'lf-doctor-')), 'signing-key.pem');
writeFileSync(
  keyFile,
  generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  { mode: 0o600 },
);
let ledger: Ledger;
beforeAll(async () => {
  t = await createTestDatabase();
  ledger = createLedger(t.connect());
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('doctor-ops', 'Ops', '{operator}', 'test')`,
  );
});
afterAll(() => t?.drop());

const cli = createCli(() => ({
  env: {
    DATABASE_URL: t.ownerUrl,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    LEDGERFLOW_PRINCIPAL: 'doctor-ops',
    // a key of its own: with none, `schedules list` creates one and says so on stderr (in the
    // default data dir, whether it exists depends on which test file ran a CLI first)
    LEDGERFLOW_SIGNING_KEY_FILE: keyFile,
  },
}));

/** Table output without its colour codes. */
const plain = (s: string) => s.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');

const ALARM = 'verification_lag';
const DETAIL = 'no successful verification within 3 h';
const actor = { type: 'user' as const, id: 'test' };

interface DoctorJson {
  ok: boolean;
  checks: Array<{ check: string; ok: boolean; warning?: boolean; detail: string }>;
  alarms: Array<{ alarm_id: string; fired_seq: number; detail: string | null }>;
}

it('an open alarm is a warning in doctor and in schedules list (text and --json), gone once resolved', async () => {
  const fired = await recordAlarmChange(
    ledger,
    {
      state: 'fired',
      condition: { alarm_id: ALARM, kind: 'verification_lag', severity: 'warning', detail: DETAIL },
      after_seq: 0,
    },
    { actor },
  );

  const doctor = await cli(['doctor', '--json']);
  expect(doctor.code, doctor.stderr).toBe(0);
  const report = JSON.parse(doctor.stdout) as DoctorJson;
  expect(report.ok).toBe(true);
  expect(report.alarms).toEqual([
    expect.objectContaining({ alarm_id: ALARM, fired_seq: fired.ledger.seq, detail: DETAIL }),
  ]);
  expect(report.checks.filter((c) => c.check === 'alarms')).toEqual([
    expect.objectContaining({
      ok: true,
      warning: true,
      detail: expect.stringContaining(`alarm ${ALARM} open since`),
    }),
  ]);
  const doctorText = plain((await cli(['doctor'])).stdout);
  expect(doctorText).toMatch(
    new RegExp(
      `alarms\\s+│ WARN\\s+│ alarm ${ALARM} open since .+ \\(compliance#${fired.ledger.seq}\\): ${DETAIL}`,
    ),
  );

  const listed = await cli(['schedules', 'list', '--json']);
  expect(listed.stderr).toBe('');
  const list = JSON.parse(listed.stdout) as { schedules: unknown[]; alarms: DoctorJson['alarms'] };
  expect(list.schedules.length).toBeGreaterThan(0);
  expect(list.alarms.map((a) => a.alarm_id)).toEqual([ALARM]);
  const listText = await cli(['schedules', 'list']);
  expect(listText.stdout + listText.stderr).toMatch(
    new RegExp(`warning: alarm ${ALARM} open since .+ \\(compliance#${fired.ledger.seq}\\): ${DETAIL}`),
  );

  await recordAlarmChange(
    ledger,
    {
      state: 'resolved',
      alarm_id: ALARM,
      kind: 'verification_lag',
      fired_seq: fired.ledger.seq,
      after_seq: fired.ledger.seq,
    },
    { actor },
  );
  const after = JSON.parse((await cli(['doctor', '--json'])).stdout) as DoctorJson;
  expect(after.alarms).toEqual([]);
  expect(after.checks.find((c) => c.check === 'alarms')).toMatchObject({
    ok: true,
    detail: 'no open alarms',
  });
  expect((await cli(['schedules', 'list'])).stderr + '').toMatch(/no open alarms/);
});
