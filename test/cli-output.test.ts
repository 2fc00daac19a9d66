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
    const r = await cli(['principals', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
  });
});
