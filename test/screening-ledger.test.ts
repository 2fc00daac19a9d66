import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/client';
import { loadLocalList } from '../providers/sanctions-files';
import { createScreeningService, type BatchProgress, type ScreeningService } from '../services/screening';
import { startListServer, type ListServer } from '../simulators/sanctions-list-server';
import { createTestDatabase, type TestDatabase } from './support';
import { createLedger } from '../ledger/ledger';

const FIX = path.join(__dirname, 'fixtures', 'sanctions');
let t: TestDatabase;
let db: Database;
let screening: ScreeningService;
let server: ListServer;
let tmp: string;

const events = async (type: string) =>
  (
    await t.asOwner<{
      seq: number;
      outcome: string;
      subject_id: string | null;
      envelope: string;
      payload: Record<string, unknown>;
    }>(
      `SELECT e.seq, e.outcome, e.subject_id, row_to_json(e)::text AS envelope, p.payload
         FROM ledger_events e LEFT JOIN ledger_payloads p USING (stream, seq)
        WHERE e.stream = 'screening' AND e.event_type = $1 ORDER BY e.seq`,
      [type],
    )
  ).rows;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.connect();
  screening = createScreeningService({
    db,
    ledger: createLedger(db),
    download: { attempts: 3, backoffMs: 10, maxBackoffMs: 50, timeoutMs: 400 },
    maxDropShare: 0.1,
  });
  server = await startListServer();
  tmp = await mkdtemp(path.join(tmpdir(), 'lf-screening-'));
});
afterAll(async () => {
  await server?.close();
  await t?.drop();
});

describe('list versions', () => {
  it('loads a list from a local directory, stores its hash and records it in the ledger once', async () => {
    const r = await screening.loadList({ path: path.join(FIX, 'un-consolidated') });
    expect(r).toMatchObject({ status: 'loaded', source: 'un', added: 1003, removed: 0 });
    expect(r.version!.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const again = await screening.loadList({ path: path.join(FIX, 'un-consolidated') });
    expect(again.status).toBe('unchanged');
    const ev = await events('screening.list_version_loaded');
    expect(ev).toHaveLength(1);
    expect(ev[0]!.payload).toMatchObject({
      source: 'un',
      entry_count: 1003,
      content_hash: r.version!.contentHash,
    });
  });

  it('downloads from the list server through 5xx and 429, then answers 304 by ETag', async () => {
    const cons = await loadLocalList(path.join(FIX, 'ofac-non-sdn'));
    server.publish('ofac-consolidated', cons.files);
    server.faults.fail5xx = 1;
    server.faults.rateLimit = 1;
    server.faults.retryAfterSeconds = 0.01 as unknown as number;
    const url = `${server.url}/lists/ofac-consolidated/`;
    const r = await screening.loadList({ url, source: 'ofac-consolidated' });
    expect(r).toMatchObject({ status: 'loaded', added: 442 });
    const r2 = await screening.loadList({ url, source: 'ofac-consolidated' });
    expect(r2.status).toBe('not-modified');
  });

  it('keeps the last good version and raises an alert when the download fails (down, timeout, bad hash)', async () => {
    const url = `${server.url}/lists/ofac-consolidated/`;
    const before = (await screening.listStatus()).versions.find(
      (v) => v.source === 'ofac-consolidated' && v.status === 'active',
    )!;
    const cons = await loadLocalList(path.join(FIX, 'ofac-non-sdn'));
    // A new publication, so the ETag differs and a download is attempted.
    server.publish('ofac-consolidated', {
      ...cons.files,
      'cons_prim.csv': `99999,"NEW PARTY LTD",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n${cons.files['cons_prim.csv']}`,
    });
    server.faults.down = true;
    const down = await screening.loadList({ url, source: 'ofac-consolidated' });
    server.faults.down = false;
    expect(down.status).toBe('download_failed');
    expect(down.message).toMatch(/HTTP 503 \(after 3 attempts\)/);
    server.faults.hang = 3;
    const hung = await screening.loadList({ url, source: 'ofac-consolidated' });
    expect(hung.status).toBe('download_failed');
    expect(hung.message).toMatch(/timed out/);
    server.faults.hang = 0;
    server.faults.corrupt = 3;
    const corrupt = await screening.loadList({ url, source: 'ofac-consolidated' });
    expect(corrupt.status).toBe('download_failed');
    expect(corrupt.message).toMatch(/SHA-256/);
    server.faults.corrupt = 0;
    const status = await screening.listStatus();
    const active = status.versions.find((v) => v.source === 'ofac-consolidated' && v.status === 'active')!;
    expect(active.id).toBe(before.id);
    expect(status.openAlerts.filter((a) => a.kind === 'download_failed')).toHaveLength(3);
    const failed = await events('screening.list_download_failed');
    expect(failed.map((e) => e.outcome)).toEqual(['error', 'error', 'error']);
    // Recovery: the next good download activates the new version and resolves the alerts.
    const ok = await screening.loadList({ url, source: 'ofac-consolidated' });
    expect(ok).toMatchObject({ status: 'loaded', added: 1, removed: 0 });
    expect((await screening.listStatus()).openAlerts).toHaveLength(0);
  });

  it('holds a version that drops too many entries until confirmed', async () => {
    const cons = await loadLocalList(path.join(FIX, 'ofac-non-sdn'));
    const shrunk = cons.files['cons_prim.csv']!.split('\n').slice(0, 100).join('\n');
    server.publish('ofac-consolidated', { ...cons.files, 'cons_prim.csv': shrunk });
    const url = `${server.url}/lists/ofac-consolidated/`;
    const held = await screening.loadList({ url, source: 'ofac-consolidated' });
    expect(held.status).toBe('held');
    expect(held.removed).toBeGreaterThan(300);
    expect(held.active!.entryCount).toBe(443);
    expect((await events('screening.list_version_held'))[0]!.outcome).toBe('denied');
    const confirmed = await screening.loadList({ url, source: 'ofac-consolidated', confirm: true });
    expect(confirmed.status).toBe('loaded');
    expect(confirmed.active!.entryCount).toBe(100);
  });
});

describe('screening', () => {
  it('records every screening in the ledger, the name only in the payload', async () => {
    const r = await screening.screenName({
      name: 'ERIK BADEGE',
      subjectId: 'cust-1',
      context: { request: { source: 'cli' } },
    });
    expect(r.decision).not.toBe('clear');
    expect(r.hits[0]).toMatchObject({ source: 'un', entryId: 'CDi.001', matchedName: 'ERIC BADEGE' });
    expect(r.matcherVersion).toMatch(/^lf-match-/);
    const ev = (await events('screening.name_screened')).at(-1)!;
    expect(ev.subject_id).toBe('cust-1');
    expect(ev.envelope).not.toMatch(/BADEGE|ERIK/);
    expect(ev.payload).toMatchObject({
      query: { name: 'ERIK BADEGE' },
      decision: r.decision,
      matcher_version: r.matcherVersion,
    });
    expect((ev.payload.list_versions as unknown[]).length).toBe(2);
    const stored = await t.asOwner('SELECT decision, ledger_seq FROM screening_results WHERE id = $1', [
      r.id,
    ]);
    expect(stored.rows[0]).toMatchObject({ decision: r.decision, ledger_seq: ev.seq });
  });

  it('rejects bad single names with a clear error', async () => {
    await expect(screening.screenName({ name: '' })).rejects.toThrow(/empty/);
    await expect(screening.screenName({ name: 'a'.repeat(10_000) })).rejects.toThrow(/limit/);
  });

  it('honours a false-positive exception for that subject and entry until the entry changes', async () => {
    const fp = await screening.recordFalsePositive({
      subjectId: 'cust-1',
      source: 'un',
      entryId: 'CDi.001',
      reason: 'different person: born 1990 in Kenya',
      reviewer: 'alice',
    });
    expect((await events('screening.false_positive_recorded')).at(-1)!.payload).toMatchObject({
      entry_id: 'CDi.001',
      reviewer: 'alice',
    });
    const same = await screening.screenName({ name: 'ERIK BADEGE', subjectId: 'cust-1' });
    const hit = same.hits.find((h) => h.entryId === 'CDi.001')!;
    expect(hit.decision).toBe('clear');
    expect(hit.explanation.suppressedBy).toEqual({
      exceptionId: fp.id,
      reason: 'different person: born 1990 in Kenya',
    });
    const other = await screening.screenName({ name: 'ERIK BADEGE', subjectId: 'cust-2' });
    expect(other.hits.find((h) => h.entryId === 'CDi.001')!.decision).not.toBe('clear');
    // The UN entry changes: the exception no longer applies.
    const xml = await readFile(path.join(FIX, 'un-consolidated', 'UN_consolidated.xml'), 'utf8');
    const dir = path.join(tmp, 'un-v2');
    await (await import('node:fs/promises')).mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'UN_consolidated.xml'),
      xml.replace('<COMMENTS1>He fled to Rwanda', '<COMMENTS1>Updated 2026. He fled to Rwanda'),
    );
    const v2 = await screening.loadList({ path: dir, source: 'un' });
    expect(v2).toMatchObject({ status: 'loaded', changed: 1, added: 0, removed: 0 });
    const after = await screening.screenName({ name: 'ERIK BADEGE', subjectId: 'cust-1' });
    expect(after.hits.find((h) => h.entryId === 'CDi.001')!.decision).not.toBe('clear');
    // Re-screening known subjects against the changed entries only.
    const re = await screening.rescreenChanged({
      source: 'un',
      fromVersionId: (await screening.listStatus()).versions.find(
        (v) => v.source === 'un' && v.status === 'superseded',
      )!.id,
    });
    expect(re.changedEntries).toBe(1);
    expect(re.results.map((x) => x.subjectId).sort()).toEqual(['cust-1', 'cust-2']);
  });

  it('screens a CSV in chunks with per-row errors, heartbeats and resume without duplicates', async () => {
    const file = path.join(tmp, 'customers.csv');
    const lines = [
      'customer_id,full_name,date_of_birth,nationality',
      'c1,ERIK BADEGE,1971,CD',
      'c2,,1980,FR',
      `c3,${'x'.repeat(10_000)},,`,
      'c4,"John\u0007Smith",,',
      'c5,Jane Doe,1990,GB',
      'c6,only,two,columns,too,many',
      'c7,Иван Петров,1970,RU',
      'c8,THOMAS LUBANGA,,',
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const beats: BatchProgress[] = [];
    const batchId = 'batch-test-1';
    // First run "crashes" at the heartbeat after its first chunk.
    await expect(
      screening.screenBatch({ file, batchId, chunkSize: 3 }, (p) => {
        beats.push(p);
        if (p.offset > 0) throw new Error('worker crashed');
      }),
    ).rejects.toThrow(/crashed/);
    expect(beats.map((b) => b.offset)).toEqual([0, 3]);
    expect(beats[1]).toMatchObject({ total: 8, screened: 1, rejected: 2 });
    const report = await screening.screenBatch(
      { file, batchId, chunkSize: 3, offset: beats[1]!.offset, outDir: path.join(tmp, 'out') },
      (p) => beats.push(p),
    );
    expect(report.totalRows).toBe(8);
    expect(report.rejected).toBe(4);
    expect(report.screened).toBe(4);
    expect(report.errors.map((e) => e.error).join('\n')).toMatch(
      /empty[\s\S]*limit[\s\S]*control[\s\S]*malformed CSV/,
    );
    expect(report.decisions.clear + report.decisions.review + report.decisions.block).toBe(4);
    const badege = report.rows.find((r) => 'subjectId' in r && r.subjectId === 'c1');
    expect(badege && 'hits' in badege && badege.hits[0]?.entryId).toBe('CDi.001');
    const lubanga = report.rows.find((r) => 'subjectId' in r && r.subjectId === 'c8');
    expect(lubanga && 'hits' in lubanga && lubanga.hits.map((h) => h.entryId)).toContain('CDi.007');
    const n = await t.asOwner<{ n: string }>(
      "SELECT count(*) AS n FROM screening_results WHERE batch_id = 'batch-test-1'",
    );
    expect(Number(n.rows[0]!.n)).toBe(4);
    const ev = await t.asOwner<{ n: string }>(
      "SELECT count(*) AS n FROM ledger_events WHERE stream = 'screening' AND case_id = 'batch-test-1'",
    );
    expect(Number(ev.rows[0]!.n)).toBe(4);
    const csv = await readFile(report.reportFiles!.csv, 'utf8');
    expect(csv).toMatch(/rejected/);
    expect(csv).toMatch(/CDi\.001/);
    expect(JSON.parse(await readFile(report.reportFiles!.json, 'utf8')).rejected).toBe(4);
  });
});
