import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom } from '../core/signing';
import type { Database } from '../db/client';
import { createLedger } from '../ledger/ledger';
import { parseHead } from '../core/ledger-head';
import { WORKER_MIN_EVENTS, verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

let t: TestDatabase;
let db: Database;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const trustedKeys = new Map([[signer.keyId, signer]]);
const N = 2600;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.connect();
  const ledger = createLedger(db, { signer, checkpointEvery: 1024 });
  for (let i = 0; i < N; i += 500)
    await ledger.appendMany(
      Array.from({ length: Math.min(500, N - i) }, (_, j) => ({
        event: sampleEvent(),
        idempotencyKey: `inc-${i + j}`,
      })),
      { stream: 'inc' },
    );
});
afterAll(() => t.drop());

/** The same pool, counting the rows each SQL text returns (every query still runs on the real server). */
function counting(base: Database): { db: Database; rows: Map<string, number> } {
  const rows = new Map<string, number>();
  const client = new Proxy(base.$client, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return async (q: string | { text: string }, values?: unknown[]) => {
        const r = await target.query(q as string, values);
        const text = typeof q === 'string' ? q : q.text;
        rows.set(text, (rows.get(text) ?? 0) + r.rows.length);
        return r;
      };
    },
  });
  return { db: { ...base, $client: client } as Database, rows };
}

describe('incremental verification (fromSeq)', () => {
  it('starts from the last signed checkpoint frontier instead of re-reading the stream', async () => {
    const c = counting(db);
    const r = await verifyLedger(c.db, { stream: 'inc', fromSeq: 2501, trustedKeys });
    expect(r).toMatchObject({ valid: true, eventsChecked: 100 });
    const before = [...c.rows.entries()]
      .filter(([sql]) => sql.includes('SELECT seq, hash FROM ledger_events'))
      .reduce((n, [, k]) => n + k, 0);
    // 2048 is the last checkpoint below 2501: 452 hashes, not 2500
    expect(before).toBe(2500 - 2048);
  });

  it('still proves the next checkpoint from that frontier, and reads from seq 1 when no checkpoint is signed by a trusted key', async () => {
    const r = await verifyLedger(db, { stream: 'inc', fromSeq: 1500, trustedKeys });
    expect(r).toMatchObject({ valid: true, eventsChecked: N - 1499 });
    expect(r.streams[0]?.provenTreeSize).toBe(2048);
    const other = signerFrom(generateKeyPairSync('ed25519').privateKey);
    const c = counting(db);
    const u = await verifyLedger(c.db, {
      stream: 'inc',
      fromSeq: 2501,
      trustedKeys: new Map([[other.keyId, other]]),
    });
    expect(u.eventsChecked).toBe(100);
    const read = [...c.rows.entries()]
      .filter(([sql]) => sql.includes('SELECT seq, hash FROM ledger_events'))
      .reduce((n, [, k]) => n + k, 0);
    expect(read).toBe(2500);
  });

  it('reads only the checkpoints that reach fromSeq (cost follows the new events, not the stream)', async () => {
    // the stream's checkpoint list (the purge stream's own, ORDER BY ... DESC, is another statement)
    const rowsOf = (c: ReturnType<typeof counting>) =>
      [...c.rows.entries()]
        .filter(
          ([sql]) => sql.startsWith('SELECT checkpoint FROM ledger_checkpoints') && !sql.includes('DESC'),
        )
        .reduce((n, [, k]) => n + k, 0);
    const late = counting(db);
    expect(await verifyLedger(late.db, { stream: 'inc', fromSeq: 2501, trustedKeys })).toMatchObject({
      valid: true,
      eventsChecked: 100,
    });
    // checkpoints 1024 and 2048 lie below 2501
    expect(rowsOf(late)).toBe(0);
    const mid = counting(db);
    const r = await verifyLedger(mid.db, { stream: 'inc', fromSeq: 2000, trustedKeys });
    expect(r).toMatchObject({ valid: true, eventsChecked: N - 1999 });
    expect(r.streams[0]?.provenTreeSize).toBe(2048);
    expect(rowsOf(mid)).toBe(1);
    const full = counting(db);
    expect(await verifyLedger(full.db, { stream: 'inc', trustedKeys })).toMatchObject({ valid: true });
    expect(rowsOf(full)).toBe(2);
  });

  it('reads only the heads that list the stream at fromSeq or beyond, and the newest', async () => {
    const ledger = createLedger(db, { signer, checkpointEvery: 100 });
    for (let i = 0; i < 5; i++)
      await ledger.appendMany(
        Array.from({ length: 100 }, (_, j) => ({ event: sampleEvent(), idempotencyKey: `hd-${i}-${j}` })),
        { stream: 'hd' },
      );
    const heads = (await db.$client.query<{ head: string }>('SELECT head FROM ledger_heads ORDER BY version'))
      .rows;
    const sizes = heads.map((h) => parseHead(h.head).streams.find((s) => s.stream === 'hd')?.treeSize ?? 0);
    expect(sizes.filter((n) => n > 0).length).toBeGreaterThanOrEqual(4);
    const headRows = (c: ReturnType<typeof counting>) =>
      [...c.rows.entries()]
        .filter(([sql]) => sql.includes('FROM ledger_heads'))
        .reduce((n, [, k]) => n + k, 0);
    const reaching = (from: number) => sizes.filter((n, i) => i === sizes.length - 1 || n >= from).length;
    for (const from of [2, 101, 301, 501]) {
      const c = counting(db);
      expect(await verifyLedger(c.db, { stream: 'hd', fromSeq: from, trustedKeys })).toMatchObject({
        valid: true,
        eventsChecked: 501 - from,
      });
      expect(headRows(c)).toBe(reaching(from));
    }
    expect([2, 101, 301, 501].map(reaching)).toEqual([5, 4, 2, 1]);
    const all = counting(db);
    await verifyLedger(all.db, { stream: 'hd', trustedKeys });
    expect(headRows(all)).toBe(heads.length);
  });

  it('indexes every stream line a head holds, loosely, by trigger only; the index is append-only', async () => {
    const indexed = await t.asOwner<{ stream: string; tree_size: string; version: string }>(
      'SELECT stream, tree_size::text, version::text FROM ledger_head_streams ORDER BY version, stream',
    );
    const heads = await t.asOwner<{ head: string }>('SELECT head FROM ledger_heads ORDER BY version');
    expect(indexed.rows).toEqual(
      heads.rows.flatMap(({ head }) => {
        const h = parseHead(head);
        return h.streams.map((s) => ({
          stream: s.stream,
          tree_size: String(s.treeSize),
          version: String(h.version),
        }));
      }),
    );
    const dba = new pg.Client({ connectionString: t.ownerUrl });
    await dba.connect();
    try {
      await dba.query('BEGIN');
      // not a head parseHead accepts: every "<word> <size> " line is indexed all the same
      const text = 'ledgerflow-head/1\nversion 999\nzz 7 x\ninc 0x1 y\nyy 3 z\nyy 3 z\n\n— k s\n';
      await dba.query(
        `INSERT INTO ledger_heads (version, previous, key_id, signed_at, head) VALUES (999, '\\x00', 'k', now(), $1)`,
        [text],
      );
      const r = await dba.query<{ stream: string; tree_size: string }>(
        'SELECT stream, tree_size::text FROM ledger_head_streams WHERE version = 999 ORDER BY stream',
      );
      expect(r.rows).toEqual([
        { stream: 'yy', tree_size: '3' },
        { stream: 'zz', tree_size: '7' },
      ]);
    } finally {
      await dba.query('ROLLBACK');
      await dba.end();
    }
    for (const sql of [
      "INSERT INTO ledger_head_streams VALUES ('inc', 99999, 1)",
      'UPDATE ledger_head_streams SET tree_size = 1',
      'DELETE FROM ledger_head_streams',
    ])
      await expect(db.$client.query(sql)).rejects.toThrow(/permission denied/);
    for (const sql of ['UPDATE ledger_head_streams SET tree_size = 1', 'DELETE FROM ledger_head_streams'])
      await expect(t.asOwner(sql)).rejects.toThrow(/append-only/);
  });
});

describe('verification on worker threads', () => {
  it('gives the same verdicts as this thread, and names the same fault', { timeout: 300_000 }, async () => {
    const ledger = createLedger(db, { signer, checkpointEvery: 1024 });
    const n = WORKER_MIN_EVENTS + 500;
    for (let i = 0; i < n; i += 1000)
      await ledger.appendMany(
        Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
          event: sampleEvent(),
          idempotencyKey: `w-${i + j}`,
        })),
        { stream: 'wide' },
      );
    await ledger.checkpoint({ stream: 'wide' });
    const ok = await verifyLedger(db, { stream: 'wide', trustedKeys, workers: 2 });
    expect(ok).toMatchObject({ valid: true, eventsChecked: n });
    expect(ok.streams[0]?.provenTreeSize).toBe(n);
    const dba = new pg.Client({ connectionString: t.ownerUrl });
    await dba.connect();
    try {
      await dba.query('SET session_replication_role = replica');
      await dba.query(
        `UPDATE ledger_payloads SET payload = payload || '{"x": 1}' WHERE stream = 'wide' AND seq = 15000`,
      );
    } finally {
      await dba.end();
    }
    const threads = await verifyLedger(db, { stream: 'wide', trustedKeys, workers: 2 });
    const here = await verifyLedger(db, { stream: 'wide', trustedKeys, workers: 0 });
    expect(threads).toMatchObject({ valid: false, fault: 'payload changed', firstBadSeq: 15000 });
    expect(here).toMatchObject({ valid: false, fault: 'payload changed', firstBadSeq: 15000 });
    expect(threads.eventsChecked).toBe(here.eventsChecked);
  });
});
