import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCli, createTestDatabase, type TestDatabase } from './support';

let t: TestDatabase;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-out-'));

const cli = createCli(() => ({
  env: {
    DATABASE_URL: t.ownerUrl,
    LEDGERFLOW_DATA_DIR: path.join(dir, 'data'),
    LEDGERFLOW_PRINCIPAL: undefined,
  },
}));

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

describe('--out and output for scripts', () => {
  it('refuses a missing directory or an existing file in one line, exit 2, before any work', async () => {
    const missing = await cli(['ledger', 'keys', 'export', '--out', path.join(dir, 'nope', 'keys.txt')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(
      /^error: cannot write .*keys\.txt: directory .*nope does not exist \(create it first\)$/,
    );
    const existing = path.join(dir, 'existing.txt');
    writeFileSync(existing, 'keep me');
    const again = await cli(['ledger', 'checkpoint', '--out', existing]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toMatch(/existing\.txt already exists: choose another path or remove it$/);
    expect(again.stderr).not.toMatch(/\n\s+at /);
    const fresh = path.join(dir, 'keys.txt');
    const ok = await cli(['ledger', 'keys', 'export', '--out', fresh]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('tables carry no ANSI colour when stdout is not a terminal', async () => {
    await t.asOwner(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('aud-1', 'Auditor', '{auditor}', 'test')`,
    );
    const r = await cli(['principals', 'list', '--as', 'aud-1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('validates every whole-number flag with one parser: exit 2 naming the flag and its range', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['loan', 'list', '--limit', '-1'], /--limit must be a whole number from 1 to 1000/],
      [['loan', 'list', '--limit', '99999999'], /--limit must be a whole number from 1 to 1000/],
      [['events', 'list', '--limit', 'abc'], /--limit must be a whole number from 1 to 1000/],
      [
        ['screen', 'file', 'x.csv', '--column', 'name', '--chunk', '0'],
        /--chunk must be a whole number from 1 to 10000/,
      ],
      [
        ['screen', 'file', 'x.csv', '--column', 'name', '--offset', '-1'],
        /--offset must be a whole number from 0/,
      ],
      [['api', 'serve', '--port', '99999'], /--port must be a whole number from 1 to 65535/],
      [['api', 'serve', '--port', 'abc'], /--port must be a whole number from 1 to 65535/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 120_000);
});
