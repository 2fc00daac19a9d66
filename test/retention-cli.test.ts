import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCli, createTestDatabase, type TestDatabase, addPrincipals } from './support';

let t: TestDatabase;
let dir: string;

const cli = createCli(() => ({
  cwd: dir,
  env: { DATABASE_URL: t.ownerUrl, LEDGERFLOW_DATA_DIR: path.join(dir, 'data') },
}));

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-retention-cli-'));
  await addPrincipals(t, ['alice', 'bob']);
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('retention CLI', () => {
  it('hold place|list|release with four-eyes and clear rejections (exit 1, nothing changed)', async () => {
    const placed = await cli([
      'hold',
      'place',
      '--case',
      'app-7',
      '--case-id',
      'LIT-7',
      '--reason',
      'lit',
      '--as',
      'alice',
    ]);
    expect(placed.code).toBe(0);
    const holdId = placed.stdout.trim();
    expect(holdId).toMatch(/^[0-9a-f-]{36}$/);
    const self = await cli(['hold', 'release', holdId, '--as', 'alice', '--reason', 'done']);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/rejected: .*four-eyes/);
    const unknown = await cli([
      'hold',
      'release',
      '00000000-0000-4000-8000-000000000009',
      '--as',
      'bob',
      '--reason',
      'x',
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown legal hold/);
    const usage = await cli([
      'hold',
      'place',
      '--case',
      'a',
      '--subject',
      'b',
      '--case-id',
      'c',
      '--reason',
      'r',
      '--as',
      'alice',
    ]);
    expect(usage.code).toBe(2);
    const list = await cli(['hold', 'list', '--json', '--as', 'alice']);
    expect(JSON.parse(list.stdout)).toHaveLength(1);
    const ok = await cli(['hold', 'release', holdId, '--as', 'bob', '--reason', 'closed']);
    expect(ok.code).toBe(0);
    expect(JSON.parse((await cli(['hold', 'list', '--json', '--as', 'alice'])).stdout)).toHaveLength(0);
  }, 90_000);

  it('retention policies --apply, a too-short policy rejected, dry run', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        legalMinimums: { ledger_payloads: 'P5Y' },
        policies: [
          {
            id: 'short',
            dataClasses: ['ledger_payloads'],
            period: 'P1Y',
            trigger: 'created',
            action: 'purge_payload',
            description: 'x',
          },
        ],
      }),
    );
    const rejected = await cli(['retention', 'policies', '--config', bad, '--apply']);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/shorter than the legal minimum/);
    const applied = await cli(['retention', 'policies', '--apply', '--as', 'alice', '--json']);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout).changes.length).toBeGreaterThan(0);
    const again = await cli(['retention', 'policies', '--json']);
    expect(JSON.parse(again.stdout).changes).toEqual([]);
    const dry = await cli(['retention', 'run', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).classes.map((c: { data_class: string }) => c.data_class)).toContain(
      'ledger_payloads',
    );
    const future = await cli(['retention', 'run', '--dry-run', '--as-of', '2999-01-01T00:00:00Z']);
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/in the future/);
  }, 90_000);
});
