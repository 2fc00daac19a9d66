import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers';

const bin = path.join(__dirname, '..', 'bin', 'ledgerflow.cjs');
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: {
      ...process.env,
      DATABASE_URL: t.ownerUrl,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      LEDGERFLOW_PRINCIPAL: undefined,
      ...env,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('ledgerflow CLI', () => {
  it('doctor passes against the real servers and reports the app roles', () => {
    const r = cli(['doctor', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { ok: boolean; checks: Array<{ check: string; ok: boolean }> };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(['postgres', 'migrations', 'role ledgerflow_writer', 'temporal']),
    );
  });

  it('doctor names what is unreachable and exits 1', () => {
    const r = cli(['doctor', '--json'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { checks: Array<{ check: string; ok: boolean; fix?: string }> };
    expect(report.checks.find((c) => c.check === 'temporal')).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/ledgerflow dev|TEMPORAL_ADDRESS/),
    });
  });

  it('bad configuration: one line naming the variable, exit 2', () => {
    const r = cli(['events', 'list'], { TEMPORAL_ADDRESS: 'not an address' });
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/TEMPORAL_ADDRESS/);
    expect(cli(['events', 'list'], { DATABASE_URL: 'mysql://x' }).err).toMatch(
      /DATABASE_URL must start with postgres/,
    );
  });

  it('a failed migration stops with exit 2 and a clear message', () => {
    const url = new URL(t.ownerUrl);
    url.pathname = '/no_such_database';
    const r = cli(['db', 'migrate'], { DATABASE_URL: url.toString() });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot connect to PostgreSQL to migrate: .*no_such_database/);
  });

  it('db migrate is idempotent and events list prints JSON', () => {
    expect(cli(['db', 'migrate']).code).toBe(0);
    const r = cli(['events', 'list', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(Array.isArray(JSON.parse(r.out))).toBe(true);
  });

  it('api keys: unknown acting principals are denied, an admin creates a key shown once', async () => {
    const denied = cli([
      'api',
      'keys',
      'create',
      '--principal',
      'alice',
      '--role',
      'auditor',
      '--as',
      'ghost',
    ]);
    expect(denied.code).toBe(2);
    expect(denied.err).toMatch(/denied: unknown principal "ghost"/);
    await t.asOwner(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('root', 'Root', '{admin}', 'test'), ('alice', 'Alice', '{reviewer}', 'test')`,
    );
    const created = cli([
      'api',
      'keys',
      'create',
      '--principal',
      'alice',
      '--role',
      'auditor',
      '--as',
      'root',
      '--json',
    ]);
    expect(created.code, created.err).toBe(0);
    expect(JSON.parse(created.out).key).toMatch(/^lfk_[0-9a-f]{12}_/);
    expect(
      cli(['api', 'keys', 'create', '--principal', 'alice', '--role', 'auditor', '--as', 'alice']).err,
    ).toMatch(/lacks the "admin" role/);
  });

  it('every command has --help; unknown commands exit 2', () => {
    for (const c of [
      ['--help'],
      ['doctor', '--help'],
      ['events', 'list', '--help'],
      ['db', 'migrate', '--help'],
    ]) {
      expect(cli(c).code).toBe(0);
    }
    expect(cli(['no-such-command']).code).toBe(2);
  });
});
