import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createCli, createTestDatabase, type TestDatabase } from './support';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

const cli = createCli(() => ({
  env: {
    DATABASE_URL: t.ownerUrl,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    LEDGERFLOW_PRINCIPAL: undefined,
  },
}));

describe('ledgerflow CLI', () => {
  it('doctor passes against the real servers and reports the app roles', async () => {
    const r = await cli(['doctor', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ check: string; ok: boolean }> };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(['postgres', 'migrations', 'role ledgerflow_writer', 'temporal']),
    );
  });

  it('doctor names what is unreachable and exits 1', async () => {
    const r = await cli(['doctor', '--json'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { checks: Array<{ check: string; ok: boolean; fix?: string }> };
    expect(report.checks.find((c) => c.check === 'temporal')).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/ledgerflow dev|TEMPORAL_ADDRESS/),
    });
  });

  it('bad configuration: one line naming the variable, exit 2', async () => {
    const r = await cli(['events', 'list'], { TEMPORAL_ADDRESS: 'not an address' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/TEMPORAL_ADDRESS/);
    expect((await cli(['events', 'list'], { DATABASE_URL: 'mysql://x' })).stderr).toMatch(
      /DATABASE_URL must start with postgres/,
    );
  });

  it('a failed migration stops with exit 2 and a clear message', async () => {
    const url = new URL(t.ownerUrl);
    url.pathname = '/no_such_database';
    const r = await cli(['db', 'migrate'], { DATABASE_URL: url.toString() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot connect to PostgreSQL to migrate: .*no_such_database/);
  });

  it('db migrate is idempotent and events list prints JSON', async () => {
    expect((await cli(['db', 'migrate'])).code).toBe(0);
    await t.asOwner(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('aud-1', 'Auditor', '{auditor}', 'test')`,
    );
    const r = await cli(['events', 'list', '--json', '--as', 'aud-1']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ events: expect.any(Array), next_cursor: null });
  });

  it('api keys: unknown acting principals are denied, an admin creates a key shown once', async () => {
    const denied = await cli([
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
    expect(denied.stderr).toMatch(/denied: unknown principal "ghost"/);
    await t.asOwner(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('root', 'Root', '{admin}', 'test'), ('alice', 'Alice', '{reviewer}', 'test')`,
    );
    const created = await cli([
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
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).key).toMatch(/^lfk_[0-9a-f]{12}_/);
    // Without --json the secret alone is on stdout, so KEY=$(ledgerflow api keys create ...) works.
    const plain = await cli([
      'api',
      'keys',
      'create',
      '--principal',
      'alice',
      '--role',
      'auditor',
      '--as',
      'root',
    ]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^lfk_[0-9a-f]{12}_[A-Za-z0-9_-]+\n$/);
    expect(plain.stderr).toMatch(/store it now, it is not shown again/);
    expect(
      (await cli(['api', 'keys', 'create', '--principal', 'alice', '--role', 'auditor', '--as', 'alice']))
        .stderr,
    ).toMatch(/lacks the "admin" role/);
  });

  it('every command has --help; unknown commands exit 2', async () => {
    for (const c of [
      ['--help'],
      ['doctor', '--help'],
      ['events', 'list', '--help'],
      ['db', 'migrate', '--help'],
    ]) {
      expect((await cli(c)).code).toBe(0);
    }
    expect((await cli(['no-such-command'])).code).toBe(2);
  });
});
