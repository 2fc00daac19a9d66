import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun, createTestDatabase, sampleEvent, type TestDatabase } from './support';

/** Each test spawns several CLI processes (~1-2 s each); allow for a busy machine. */
const CLI_TIMEOUT = 120_000;

let t: TestDatabase;
let dir: string;

const cli = (args: string[], env: Record<string, string> = {}, input?: string): Promise<CliRun> =>
  runCli(args, {
    cwd: dir,
    env: {
      DATABASE_URL: t.ownerUrl,
      LEDGERFLOW_DATA_DIR: path.join(dir, 'data'),
      LEDGERFLOW_CHECKPOINT_EVERY: '8',
      LEDGERFLOW_PRINCIPAL: 'script-1',
      ...env,
    },
    input,
  });

async function asDba(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: t.ownerUrl });
  await c.connect();
  try {
    await c.query('SET session_replication_role = replica');
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const lines = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => JSON.stringify(sampleEvent({ payload: { i: from + i } }))).join('\n');

beforeAll(async () => {
  t = await createTestDatabase();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('script-1', 'Import script', '{operator,auditor}', 'test')`,
  );
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-cli-'));
});
afterAll(async () => {
  await t.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ledgerflow ledger CLI', () => {
  it(
    'appends JSONL idempotently, generating and pinning a signing key on first use',
    async () => {
      writeFileSync(path.join(dir, 'events.jsonl'), `${lines(16)}\n`);
      const first = await cli(['ledger', 'append', '--file', 'events.jsonl', '--json']);
      expect(first.code).toBe(0);
      const appended = JSON.parse(first.stdout) as Array<{ seq: number; hash: string; created: boolean }>;
      expect(appended.map((r) => r.seq)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect(first.stderr).toMatch(/generated a new Ed25519 checkpoint signing key [0-9a-f]{16}/);
      const more = `${lines(4, 16)}\n${JSON.stringify({ ...sampleEvent(), idempotency_key: 'k-1' })}\n`;
      const second = await cli(['ledger', 'append', '-', '--json'], {}, more);
      expect(second.code).toBe(0);
      expect((JSON.parse(second.stdout) as Array<{ seq: number }>).map((r) => r.seq)).toEqual([
        17, 18, 19, 20, 21,
      ]);
      const again = await cli(['ledger', 'append', '--file', 'events.jsonl', '--json']);
      expect(again.code).toBe(0);
      expect((JSON.parse(again.stdout) as Array<{ created: boolean }>).every((r) => !r.created)).toBe(true);
      // Cadence 8: the commit of seqs 1..16 crossed 8 and 16 (one checkpoint each); 17..21 crossed none.
      const cps = await t.asOwner('SELECT tree_size FROM ledger_checkpoints ORDER BY tree_size');
      expect(cps.rows.map((r) => Number(r.tree_size))).toEqual([8, 16]);
    },
    CLI_TIMEOUT,
  );

  it(
    'rejects a bad line naming it and the field, writing nothing (exit 1); bad arguments exit 2',
    async () => {
      const bad = await cli(
        ['ledger', 'append'],
        {},
        `${lines(1, 100)}\n${JSON.stringify(sampleEvent({ actor: { type: 'user' } }))}\n`,
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/line 2: actor\.id/);
      expect((await cli(['ledger', 'verify', '--from', 'abc'])).code).toBe(2);
      const down = await cli(['ledger', 'verify'], { DATABASE_URL: 'postgres://x:y@127.0.0.1:1/nothing' });
      expect(down.code).toBe(2);
    },
    CLI_TIMEOUT,
  );

  it(
    'checkpoints, proves inclusion and consistency, and verifies (as the reader role)',
    async () => {
      const cp = await cli(['ledger', 'checkpoint', '--stream', 'default', '--out', 'cp.txt']);
      expect(cp.code).toBe(0);
      expect(readFileSync(path.join(dir, 'cp.txt'), 'utf8')).toMatch(
        /^ledgerflow\/default\n21\n[A-Za-z0-9+/=]{44}\ntimestamp .+\n\n\u2014 [0-9a-f]{16} /,
      );
      const prove = await cli(['ledger', 'prove', '--seq', '5', '--out', 'proof.json']);
      expect(prove.code).toBe(0);
      const cons = await cli(['ledger', 'consistency', '--from-size', '16', '--out', 'cons.json']);
      expect(cons.code).toBe(0);
      expect(JSON.parse(readFileSync(path.join(dir, 'cons.json'), 'utf8'))).toMatchObject({
        fromSize: 16,
        toSize: 21,
      });
      const keys = await cli(['ledger', 'keys', 'export', '--out', 'keys.txt']);
      expect(keys.code).toBe(0);
      expect((await cli(['ledger', 'verify-proof', 'proof.json', '--trusted-keys', 'keys.txt'])).code).toBe(
        0,
      );
      expect((await cli(['ledger', 'verify-proof', 'cons.json', '--trusted-keys', 'keys.txt'])).code).toBe(0);
      const v = await cli(['ledger', 'verify', '--json']);
      expect(v.code).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({
        valid: true,
        eventsChecked: 21,
        firstBadSeq: null,
        fault: null,
        keysPinned: true,
      });
    },
    CLI_TIMEOUT,
  );

  it(
    'exports a bundle that verifies offline, then catches tampering in the database and in the bundle',
    async () => {
      expect((await cli(['ledger', 'export', '--out', 'bundle'])).code).toBe(0);
      const ok = await cli(['ledger', 'verify-bundle', 'bundle', '--trusted-keys', 'keys.txt', '--json'], {
        DATABASE_URL: 'postgres://x:y@127.0.0.1:1/unreachable',
      });
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, eventsChecked: 22, manifestOk: true }); // 21 + the export's read record

      const events = readFileSync(path.join(dir, 'bundle/events.jsonl'), 'utf8').split('\n');
      // The export's own read record (stream access) is in the bundle too: find default's seq 7.
      const i = events.findIndex((l) => {
        const e = (l ? JSON.parse(l) : {}) as { stream?: string; seq?: number };
        return e.stream === 'default' && e.seq === 7;
      });
      events[i] = (events[i] as string).replace('"outcome":"success"', '"outcome":"denied"');
      writeFileSync(path.join(dir, 'bundle/events.jsonl'), events.join('\n'));
      const bad = await cli(['ledger', 'verify-bundle', 'bundle', '--trusted-keys', 'keys.txt', '--json']);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stdout)).toMatchObject({
        valid: false,
        firstBadSeq: 7,
        fault: 'event changed',
        manifestOk: false,
      });

      await asDba(`UPDATE ledger_payloads SET payload = '{"i": 999}' WHERE seq = 3`);
      const v = await cli(['ledger', 'verify', '--json', '--stream', 'default']);
      expect(v.code).toBe(1);
      expect(JSON.parse(v.stdout)).toMatchObject({
        valid: false,
        stream: 'default',
        firstBadSeq: 3,
        fault: 'payload changed',
      });
    },
    CLI_TIMEOUT,
  );

  it(
    'verify-bundle with a trusted head catches a bundle whose heads were rolled back',
    async () => {
      expect((await cli(['ledger', 'checkpoint', '--out', 'head.txt'])).code).toBe(0);
      expect((await cli(['ledger', 'export', '--out', 'bundle-head'])).code).toBe(0);
      const heads = readFileSync(path.join(dir, 'bundle-head/heads.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean);
      writeFileSync(
        path.join(dir, 'bundle-head/heads.jsonl'),
        heads
          .slice(0, -1)
          .map((l) => `${l}\n`)
          .join(''),
      );
      const args = ['ledger', 'verify-bundle', 'bundle-head', '--trusted-keys', 'keys.txt', '--json'];
      const r = await cli([...args, '--trusted-checkpoint', 'head.txt']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ valid: false, fault: 'head chain broken' });
    },
    CLI_TIMEOUT,
  );

  it(
    'rotates keys: old checkpoints still verify with the pinned old key',
    async () => {
      const r = await cli(['ledger', 'keys', 'rotate'], {}, undefined);
      expect(r.code).toBe(0);
      const pinnedKeys = readFileSync(path.join(dir, 'data/trust/keys.txt'), 'utf8');
      expect(pinnedKeys.split('\n').filter((l) => l.startsWith('ed25519'))).toHaveLength(2);
      expect((await cli(['ledger', 'append', '--stream', 'rotated'], {}, lines(9, 200))).code).toBe(0);
      const v = await cli(['ledger', 'verify', '--json', '--stream', 'rotated']);
      expect(v.code).toBe(0);
      // A DBA deletes the whole stream, checkpoints included: the data dir's trusted checkpoint still catches it.
      await asDba(
        `DELETE FROM ledger_events WHERE stream = 'rotated'; DELETE FROM ledger_payloads WHERE stream = 'rotated'; DELETE FROM ledger_checkpoints WHERE stream = 'rotated'`,
      );
      const gone = await cli(['ledger', 'verify', '--json']);
      expect(gone.code).toBe(1);
      const rotated = (
        JSON.parse(gone.stdout) as { streams: Array<{ stream: string; fault: string; firstBadSeq: number }> }
      ).streams.find((x) => x.stream === 'rotated');
      expect(rotated).toMatchObject({ fault: 'stream removed', firstBadSeq: 1 });
    },
    CLI_TIMEOUT,
  );
});
