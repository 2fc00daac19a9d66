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
      [['retention', 'run', '--batch-size', '0'], /--batch-size must be a whole number from 1 to 50000/],
      [['retention', 'run', '--batch-size', '1e3'], /--batch-size must be a whole number from 1 to 50000/],
      [
        [
          'rules',
          'replay',
          '--from',
          '2026-01-01T00:00:00Z',
          '--to',
          '2026-02-01T00:00:00Z',
          '--version',
          '1.5',
        ],
        /--version must be a whole number from 1/,
      ],
      [['tx', 'dead-letters', '--limit', 'abc'], /--limit must be a whole number from 1 to 10000/],
      [['alerts', 'list', '--limit', '-1'], /--limit must be a whole number from 1 to 10000/],
      [['lists', 'load', 'x.xml', '--max-drop', '2'], /--max-drop must be a number from 0 to 1/],
      [['lists', 'load', 'x.xml', '--max-drop', 'abc'], /--max-drop must be a number from 0 to 1/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // `--version` after a command is that command's flag (rules replay); before one, the program's.
    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe('0.1.0');
  }, 300_000);
});
