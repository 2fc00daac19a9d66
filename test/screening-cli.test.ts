import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCli, createTestDatabase, type TestDatabase } from './support';

const FIX = path.join(__dirname, 'fixtures', 'sanctions');
let t: TestDatabase;
let tmp: string;

beforeAll(async () => {
  t = await createTestDatabase();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('cli-tester', 'CLI tester', '{operator,reviewer}', 'test')`,
  );
  tmp = await mkdtemp(path.join(tmpdir(), 'lf-screening-cli-'));
});
afterAll(() => t?.drop());

const cli = createCli(() => ({
  env: {
    DATABASE_URL: t.ownerUrl,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    LEDGERFLOW_PRINCIPAL: 'cli-tester',
  },
}));

describe('ledgerflow lists / screen', () => {
  it('refuses an unknown acting principal before anything is written', async () => {
    const r = await cli(['screen', 'name', 'Jane Doe', '--as', 'ghost']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/denied: unknown principal "ghost"/);
  });

  it('loads a list, shows its status and screens a name with --json', async () => {
    const load = await cli(['lists', 'load', path.join(FIX, 'un-consolidated')]);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stderr).toMatch(/un: loaded version [0-9a-f]{12} with 1003 entries/);
    const status = JSON.parse((await cli(['lists', 'status', '--json'])).stdout) as {
      versions: Array<{ source: string; status: string; entryCount: number }>;
    };
    expect(status.versions).toEqual([
      expect.objectContaining({ source: 'un', status: 'active', entryCount: 1003 }),
    ]);
    const r = await cli(['screen', 'name', 'LUBANGA, Thomas', '--json', '--subject', 'c-1']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { decision: string; hits: Array<Record<string, unknown>> };
    expect(result.decision).toBe('block');
    expect(Object.keys(result.hits[0]!)).toEqual([
      'source',
      'entryId',
      'matchedName',
      'score',
      'decision',
      'explanation',
    ]);
    expect(result.hits[0]).toMatchObject({ source: 'un', entryId: 'CDi.007', matchedName: 'THOMAS LUBANGA' });
    // A name in Arabic script: the explanation shows the script and the romanisation used.
    const ar = await cli(['screen', 'name', 'عدي صدام حسين', '--json']);
    expect(ar.code, ar.stderr).toBe(0);
    const arHits = (JSON.parse(ar.stdout) as { hits: Array<{ entryId: string; explanation: unknown }> }).hits;
    expect(arHits.map((h) => h.entryId)).toContain('IQi.003');
    expect(arHits[0]!.explanation).toMatchObject({
      scripts: { query: ['arabic'] },
      queryRomanizations: ['di sdam hsin', 'key: _d+ sdm hsn'],
      tokenPairs: expect.arrayContaining([expect.objectContaining({ query: 'sdam' })]),
    });
  });

  it('rejects a bad name with exit 2 and records a false positive', async () => {
    const bad = await cli(['screen', 'name', '   ']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/name is empty/);
    const fp = await cli([
      'screen',
      'false-positive',
      '--source',
      'un',
      '--entry',
      'CDi.007',
      '--subject',
      'c-1',
      '--reason',
      'namesake, born 1999',
    ]);
    expect(fp.code, fp.stderr).toBe(0);
    const again = JSON.parse(
      (await cli(['screen', 'name', 'LUBANGA, Thomas', '--json', '--subject', 'c-1'])).stdout,
    ) as { decision: string; hits: Array<{ explanation: { suppressedBy?: unknown } }> };
    expect(again.decision).toBe('clear');
    expect(again.hits[0]!.explanation.suppressedBy).toBeDefined();
  });

  it('screens a file: per-row errors, report files, one JSON result per row, exit 1 when rows were rejected', async () => {
    const file = path.join(tmp, 'in.csv');
    await writeFile(
      file,
      ['ref,customer', 'r1,GERMAIN KATANGA', 'r2,', 'r3,Anna Example', 'r4,"unclosed'].join('\n'),
    );
    const out = path.join(tmp, 'out');
    const r = await cli(['screen', 'file', file, '--column', 'customer', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const rows = JSON.parse(r.stdout) as Array<{
      row: number;
      decision?: string;
      status?: string;
      error?: string;
    }>;
    expect(rows.map((x) => x.row)).toEqual([1, 2, 3, 4]);
    expect(rows[0]!.decision).toBe('block');
    expect(rows[1]).toMatchObject({ status: 'rejected', error: 'name is empty' });
    expect(rows[3]!.error).toMatch(/malformed CSV/);
    expect(await readFile(path.join(out, 'report.csv'), 'utf8')).toMatch(/CDi\.006/);
    const unknownColumn = await cli(['screen', 'file', file, '--column', 'nope']);
    expect(unknownColumn.code).toBe(2);
    expect(unknownColumn.stderr).toMatch(/column "nope" is not in the header/);
  });
});
