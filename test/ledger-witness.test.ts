import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTrustedKeys, signerFrom, type PublicKeyInfo } from '../core/signing';
import { exportBundle } from '../ledger/bundle';
import { WITNESS_LOG_FILE, splitWitnessLog } from '../core/witness';
import { createLedger, type Ledger } from '../ledger/ledger';
import { checkWitness } from '../services/witness/check';
import { publishHead, WitnessConflictError } from '../services/witness/publish';
import { directoryWitness, type WitnessStore } from '../services/witness/store';
import { createTestDatabase, sampleEvent, type TestDatabase } from './helpers';
import { runCli } from './support';

const genuine = signerFrom(generateKeyPairSync('ed25519').privateKey);
const forger = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[genuine.keyId, genuine]]);

let root: string;
const dbs: TestDatabase[] = [];
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-witness-'));
});
afterAll(async () => {
  for (const t of dbs) await t.drop();
  rmSync(root, { recursive: true, force: true });
});

interface Scenario {
  t: TestDatabase;
  ledger: Ledger;
  store: WitnessStore;
  log: string;
  /** Appends `n` events to `stream` with payloads `{ i: from.. }`. */
  grow(stream: string, n: number, from?: number, tag?: string): Promise<void>;
  /** Runs statements as a superuser with the append-only triggers switched off. */
  asDba(sql: string): Promise<void>;
}

async function scenario(name: string): Promise<Scenario> {
  const t = await createTestDatabase();
  dbs.push(t);
  const ledger = createLedger(t.connect(), { signer: genuine, checkpointEvery: 4 });
  const dir = path.join(root, name);
  mkdirSync(dir);
  return {
    t,
    ledger,
    store: directoryWitness(dir),
    log: path.join(dir, WITNESS_LOG_FILE),
    async grow(stream, n, from = 0, tag = 'honest') {
      await ledger.appendMany(
        Array.from({ length: n }, (_, k) => ({
          event: sampleEvent({ payload: { i: from + k, tag } }),
          idempotencyKey: `${stream}-${tag}-${from + k}`,
        })),
        { stream },
      );
    },
    async asDba(sql) {
      const c = new pg.Client({ connectionString: t.ownerUrl });
      await c.connect();
      try {
        await c.query('SET session_replication_role = replica');
        await c.query(sql);
      } finally {
        await c.end();
      }
    },
  };
}

const check = (s: Scenario) =>
  checkWitness(s.t.connect('ledgerflow_reader'), s.store, { trustedKeys: pinned });
const publish = (s: Scenario) => publishHead({ ledger: s.ledger, store: s.store, trustedKeys: pinned });

/** Every ledger table a superuser rewriting history empties before replaying it. */
const LEDGER_TABLES = [
  'ledger_events',
  'ledger_payloads',
  'ledger_payload_purges',
  'ledger_checkpoints',
  'ledger_merkle_tiles',
  'ledger_heads',
];

describe('external witness of signed ledger heads', () => {
  it('honest growth: each publication extends the last (RFC 6962 consistency per stream), republishing appends nothing', async () => {
    const s = await scenario('honest');
    expect(await check(s)).toMatchObject({ status: 'empty', ok: true, records: 0 });
    await s.grow('alpha', 10);
    await s.grow('beta', 3);
    const first = await publish(s);
    expect(first).toMatchObject({ published: true, check: { status: 'empty' } });
    expect(await check(s)).toMatchObject({
      status: 'consistent',
      ok: true,
      streams: [
        { stream: 'alpha', result: 'same', published_size: 10 },
        { stream: 'beta', result: 'same', published_size: 3 },
      ],
    });
    expect(await publish(s)).toMatchObject({ published: false, head: { version: first.head.version } });

    await s.grow('alpha', 27, 10);
    await s.grow('gamma', 2);
    await s.ledger.head();
    const grown = await check(s);
    expect(grown).toMatchObject({ status: 'consistent', ok: true, problems: [] });
    expect(grown.streams).toEqual([
      {
        stream: 'alpha',
        published_size: 10,
        live_size: 37,
        result: 'extended',
        proof_hashes: expect.any(Number),
      },
      { stream: 'beta', published_size: 3, live_size: 3, result: 'same', proof_hashes: null },
    ]);
    expect(grown.streams[0]?.proof_hashes).toBeGreaterThan(0);
    const second = await publish(s);
    expect(second.published).toBe(true);
    const records = splitWitnessLog(readFileSync(s.log, 'utf8'));
    expect(records).toEqual([first.head.text, second.head.text]);
    expect(await check(s)).toMatchObject({ status: 'consistent', records: 2 });
  });

  it('a superuser who rewrites history after publication (re-signing everything with the real key) is caught as a fork', async () => {
    const s = await scenario('rewrite');
    await s.grow('alpha', 12);
    await publish(s);
    const before = readFileSync(s.log, 'utf8');
    // Empty every ledger table and replay the history with event 5 changed, then grow past the
    // published size so every head looks newer: chain, checkpoints and heads all verify.
    await s.asDba(LEDGER_TABLES.map((x) => `DELETE FROM ${x}`).join('; '));
    await s.grow('alpha', 4, 0, 'honest');
    await s.grow('alpha', 1, 4, 'forged');
    await s.grow('alpha', 12, 5, 'honest');
    await s.ledger.head();
    await s.ledger.head();
    const r = await check(s);
    expect(r).toMatchObject({ status: 'fork', ok: false });
    expect(r.detail).toBe(
      'stream alpha: the stored events 1..12 no longer hash to the published root (history rewritten)',
    );
    await expect(publish(s)).rejects.toBeInstanceOf(WitnessConflictError);
    expect(readFileSync(s.log, 'utf8')).toBe(before);
  });

  it('a replayed head history with the same events but a different head of the published version is a fork', async () => {
    const s = await scenario('head-fork');
    await s.grow('alpha', 3);
    await s.grow('beta', 2);
    await publish(s);
    // The superuser drops the heads; the next head is a new version 1: same version number as the
    // published one, a different document.
    await s.asDba('DELETE FROM ledger_heads');
    await s.grow('beta', 1, 2);
    await s.ledger.head();
    const r = await check(s);
    expect(r).toMatchObject({ status: 'fork', ok: false });
    expect(r.detail).toMatch(/^the live head version 1 differs from the published head of that version$/);
  });

  it('truncation after publication is caught as a rollback (events, checkpoints and heads removed past seq 5)', async () => {
    const s = await scenario('truncate');
    await s.grow('alpha', 9);
    await s.grow('beta', 2);
    await publish(s);
    const before = readFileSync(s.log, 'utf8');
    await s.asDba(
      `DELETE FROM ledger_events WHERE stream = 'alpha' AND seq > 5;
       DELETE FROM ledger_payloads WHERE stream = 'alpha' AND seq > 5;
       DELETE FROM ledger_checkpoints WHERE stream = 'alpha' AND tree_size > 5;
       DELETE FROM ledger_heads WHERE version > 1`,
    );
    const r = await check(s);
    expect(r).toMatchObject({ status: 'rollback', ok: false });
    expect(r.detail).toBe('stream alpha: the database holds 5 events, 9 were published');
    await expect(publish(s)).rejects.toThrow(/^not published: rollback: stream alpha/);
    expect(readFileSync(s.log, 'utf8')).toBe(before);
  });

  it('heads deleted after publication (events kept) are a rollback of the head', async () => {
    const s = await scenario('head-rollback');
    await s.grow('alpha', 3);
    await s.ledger.head();
    await s.grow('alpha', 2, 3);
    expect((await publish(s)).head.version).toBeGreaterThan(1);
    await s.asDba('DELETE FROM ledger_heads WHERE version > 1');
    const r = await check(s);
    expect(r).toMatchObject({ status: 'rollback', ok: false });
    expect(r.detail).toMatch(/^stream alpha: the live head lists 3 events, 5 were published$/);
  });

  it('a tampered witness record (bad signature, untrusted key, garbage) is reported and blocks publication', async () => {
    const s = await scenario('tampered');
    await s.grow('alpha', 5);
    const published = await publish(s);
    const text = readFileSync(s.log, 'utf8');
    expect(await check(s)).toMatchObject({ status: 'consistent' });

    // Same record, one root byte changed: the signature no longer verifies.
    const edited = text.replace(/^alpha 5 (.)/m, (_, c: string) => `alpha 5 ${c === 'A' ? 'B' : 'A'}`);
    expect(edited).not.toBe(text);
    writeFileSync(s.log, edited);
    const bad = await check(s);
    expect(bad).toMatchObject({ status: 'bad_witness', ok: false, published: null });
    expect(bad.detail).toMatch(
      /^witness record 1 \(head version \d+\): signature invalid: signature by key [0-9a-f]{16} does not verify$/,
    );

    // A record signed by a key that is not trusted.
    const body = text.slice(0, text.indexOf('\n\n') + 1);
    const { signBytes } = await import('../core/signing');
    writeFileSync(
      s.log,
      `${text}${body}\n\u2014 ${forger.keyId} ${signBytes(forger, body).toString('base64')}\n`,
    );
    const forged = await check(s);
    expect(forged).toMatchObject({ status: 'bad_witness', ok: false });
    expect(forged.detail).toBe(
      `witness record 2 (head version ${published.head.version}): signature invalid: signed by key ${forger.keyId}, which is not trusted`,
    );
    await expect(publish(s)).rejects.toThrow(/^not published: bad_witness: witness record 2/);

    writeFileSync(s.log, `${text}not a head\n`);
    expect((await check(s)).detail).toMatch(/^witness record 1 is malformed: /);
  });
});

/** Runs the Python verifier on `bundle` with `--witness log`; exit code and JSON result. */
async function pythonWithWitness(bundle: string, keysFile: string, log: string) {
  const deps = path.resolve('.tools/pyverifier');
  const env = { ...process.env, PYTHONPATH: existsSync(deps) ? deps : (process.env.PYTHONPATH ?? '') };
  const args = [
    'verifiers/python/ledgerflow_verify.py',
    bundle,
    '--trusted-keys',
    keysFile,
    '--witness',
    log,
    '--json',
  ];
  try {
    const { stdout } = await promisify(execFile)('python3', args, { env });
    return { exit: 0, result: JSON.parse(stdout) as Record<string, unknown> };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (e.code !== 1) throw new Error(`python verifier exited ${e.code}: ${e.stderr}`, { cause: err });
    return { exit: 1, result: JSON.parse(e.stdout ?? '') as Record<string, unknown> };
  }
}

describe('the Python verifier reads a witness log', () => {
  it('checks every record and anchors the bundle at the latest published head', async () => {
    const s = await scenario('python');
    await s.grow('alpha', 6);
    await publish(s);
    const dir = path.join(root, 'python-files');
    mkdirSync(dir);
    const keysFile = path.join(dir, 'keys.txt');
    writeFileSync(keysFile, formatTrustedKeys([genuine]));
    await exportBundle(s.t.connect('ledgerflow_reader'), path.join(dir, 'old'));
    expect(await pythonWithWitness(path.join(dir, 'old'), keysFile, s.log)).toMatchObject({
      exit: 0,
      result: { valid: true },
    });

    // A later publication: the older bundle no longer holds the latest published head.
    await s.grow('alpha', 3, 6);
    await publish(s);
    const behind = await pythonWithWitness(path.join(dir, 'old'), keysFile, s.log);
    expect(behind).toMatchObject({ exit: 1, result: { valid: false, fault: 'head chain broken' } });
    await exportBundle(s.t.connect('ledgerflow_reader'), path.join(dir, 'new'));
    expect(await pythonWithWitness(path.join(dir, 'new'), keysFile, s.log)).toMatchObject({ exit: 0 });

    const text = readFileSync(s.log, 'utf8');
    writeFileSync(
      s.log,
      text.replace(/^alpha 9 (.)/m, (_, c: string) => `alpha 9 ${c === 'A' ? 'B' : 'A'}`),
    );
    expect(await pythonWithWitness(path.join(dir, 'new'), keysFile, s.log)).toMatchObject({
      exit: 1,
      result: {
        valid: false,
        fault: 'witness record bad',
        detail: expect.stringMatching(/^witness record 2 \(head version \d+\): signature invalid$/),
      },
    });
  });
});

describe('ledger checkpoint --publish and ledger witness check (CLI)', () => {
  it('publishes, checks consistent (exit 0), then reports a rollback (exit 1) and refuses to publish over it', async () => {
    const t = await createTestDatabase();
    dbs.push(t);
    const dir = path.join(root, 'cli');
    const witnessDir = path.join(dir, 'witness');
    mkdirSync(witnessDir, { recursive: true });
    const env = {
      DATABASE_URL: t.ownerUrl,
      LEDGERFLOW_DATA_DIR: path.join(dir, 'data'),
      LEDGERFLOW_PRINCIPAL: 'w',
    };
    await t.asOwner(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('w', 'Witness test', '{operator}', 'test')`,
    );
    const events = Array.from({ length: 6 }, (_, i) => JSON.stringify(sampleEvent({ payload: { i } }))).join(
      '\n',
    );
    const appended = await runCli(['ledger', 'append', '--stream', 'alpha'], { env, input: `${events}\n` });
    expect(appended.code, appended.stderr).toBe(0);

    const missing = await runCli(['ledger', 'witness', 'check', '--witness', path.join(dir, 'nope')], {
      env,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^error: witness directory .*nope does not exist/);

    const pub = await runCli(['ledger', 'checkpoint', '--publish', witnessDir], { env });
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stderr).toMatch(/published ledger head version \d+ to .*ledger-heads\.log/);
    const ok = await runCli(['ledger', 'witness', 'check', '--witness', witnessDir], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^consistent: the live head version \d+ extends the published version \d+/);

    await t.asOwner(
      `SET session_replication_role = replica;
       DELETE FROM ledger_events WHERE stream = 'alpha' AND seq > 4;
       DELETE FROM ledger_payloads WHERE stream = 'alpha' AND seq > 4;`,
    );
    const bad = await runCli(['ledger', 'witness', 'check', '--witness', witnessDir, '--json'], { env });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      status: 'rollback',
      detail: 'stream alpha: the database holds 4 events, 6 were published',
    });
    const refused = await runCli(['ledger', 'checkpoint', '--publish', witnessDir], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n').at(-1)).toBe(
      'refused: not published: rollback: stream alpha: the database holds 4 events, 6 were published',
    );
    expect(splitWitnessLog(readFileSync(path.join(witnessDir, WITNESS_LOG_FILE), 'utf8'))).toHaveLength(1);
  }, 180_000);
});
