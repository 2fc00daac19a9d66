import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommittedEvent } from '../core/audit-event';
import { canonicalEnvelope } from '../core/hash-chain';
import { formatTrustedKeys, signerFrom, type PublicKeyInfo } from '../core/signing';
import { envelopeAround } from '../ledger/append-one-trip';
import { exportBundle } from '../ledger/bundle';
import { LedgerValidationError } from '../ledger/errors';
import { createLedger, type Ledger } from '../ledger/ledger';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';
import { waitFor } from './support/wait';

const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);

let t: TestDatabase;
let ledger: Ledger;
let dir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  ledger = createLedger(t.connect(), { signer, checkpointEvery: 8 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-one-trip-'));
});
afterAll(async () => {
  await t.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** Transactions that wrote the events whose keys start with `prefix`. */
const transactions = async (prefix: string) =>
  Number(
    (
      await t.asOwner<{ n: string }>(
        `SELECT count(DISTINCT xmin::text) AS n FROM ledger_events WHERE starts_with(idempotency_key, $1)`,
        [prefix],
      )
    ).rows[0]?.n,
  );

describe('one-round-trip append', () => {
  it('cuts the canonical envelope exactly around occurred_at, even when the context names it', () => {
    const committed = {
      stream: 'access',
      event_id: '7c4a8d09-ca37-4c1b-9a8e-6e5f3b1d2a10',
      event_type: 'api.ledger_read',
      actor: { type: 'user' as const, id: 'u-"1"' },
      resource: { type: 'ledger_events', id: 'search' },
      action: 'search',
      outcome: 'success' as const,
      subject_id: null,
      case_id: 'c',
      context: {
        nested: { occurred_at: '0000-00-00T00:00:00.000000Z' },
        note: '"occurred_at":"x"',
      } as unknown as CommittedEvent['context'],
      schema_version: 1,
      idempotency_key: 'k',
    };
    const at = '2026-12-01T22:30:00.123456Z';
    const [head, tail] = envelopeAround(committed);
    expect(head + at + tail).toBe(canonicalEnvelope({ ...committed, seq: 1, occurred_at: at }));
  });

  it('chains with the group-commit path on one stream; both verifiers accept the ledger', async () => {
    const oneTrip = Array.from({ length: 40 }, (_, i) =>
      ledger.appendOneTrip(
        sampleEvent({
          payload: { i, name: 'Zoë "q" \u2028' },
          context: { request: { source: 'api', request_id: `r-${i}` } },
        }),
        { stream: 'access', idempotencyKey: `one-${i}` },
      ),
    );
    const grouped = Array.from({ length: 40 }, (_, i) =>
      ledger.append(sampleEvent({ payload: { i } }), { stream: 'access', idempotencyKey: `group-${i}` }),
    );
    const results = await Promise.all([...oneTrip, ...grouped]);
    const seqs = results.map((r) => r.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(
      results.every((r) => r.created && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(r.occurredAt)),
    ).toBe(true);
    // Concurrent one-trip calls share statements and commits (group commit).
    expect(await transactions('one-')).toBeLessThan(40);

    // What each call returned is what the database holds.
    const first = results[0];
    const row = (
      await t.asOwner<{ hash: string; us: string }>(
        `SELECT encode(hash, 'hex') AS hash, ((extract(epoch FROM occurred_at) * 1000000)::bigint)::text AS us
           FROM ledger_events WHERE stream = 'access' AND seq = $1`,
        [first?.seq],
      )
    ).rows[0];
    expect(row?.hash).toBe(first?.hash);

    await ledger.head();
    const result = await verifyLedger(t.connect('ledgerflow_reader'), { trustedKeys: pinned });
    expect(result).toMatchObject({ valid: true });

    const bundle = path.join(dir, 'bundle');
    await exportBundle(t.connect('ledgerflow_reader'), bundle);
    const keys = path.join(dir, 'keys.txt');
    writeFileSync(keys, formatTrustedKeys([signer]));
    const deps = path.resolve('.tools/pyverifier');
    const env = { ...process.env, PYTHONPATH: existsSync(deps) ? deps : (process.env.PYTHONPATH ?? '') };
    const { stdout } = await promisify(execFile)(
      'python3',
      ['verifiers/python/ledgerflow_verify.py', bundle, '--trusted-keys', keys, '--json'],
      { env },
    );
    expect(JSON.parse(stdout)).toMatchObject({ valid: true });
  });

  it('signs a checkpoint at the cadence after its commits', async () => {
    for (let i = 0; i < 9; i++)
      await ledger.appendOneTrip(sampleEvent(), { stream: 'reads', idempotencyKey: `cadence-${i}` });
    await waitFor(
      async () =>
        (await t.asOwner(`SELECT 1 FROM ledger_checkpoints WHERE stream = 'reads' AND tree_size = 8`)).rows
          .length === 1,
      30_000,
      'the cadence checkpoint at 8',
    );
  });

  it('is idempotent by key across both paths and within one call', async () => {
    const grouped = await ledger.append(sampleEvent(), { stream: 'access', idempotencyKey: 'shared' });
    const again = await ledger.appendOneTrip(sampleEvent(), { stream: 'access', idempotencyKey: 'shared' });
    expect(again).toEqual({ ...grouped, created: false });
    const twice = await Promise.all(
      [1, 2, 3].map(() => ledger.appendOneTrip(sampleEvent(), { stream: 'access', idempotencyKey: 'dup' })),
    );
    expect(new Set(twice.map((r) => r.seq)).size).toBe(1);
    expect(twice.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(twice.map((r) => `${r.eventId} ${r.hash} ${r.occurredAt}`)).size).toBe(1);
    const n = await t.asOwner<{ n: string }>(
      `SELECT count(*) AS n FROM ledger_events WHERE stream = 'access' AND idempotency_key IN ('shared', 'dup')`,
    );
    expect(Number(n.rows[0]?.n)).toBe(2);
    expect(
      await verifyLedger(t.connect('ledgerflow_reader'), { trustedKeys: pinned, stream: 'access' }),
    ).toMatchObject({ valid: true });
  });

  it('gives full text no token over the 2047 bytes a tsvector lexeme can hold', async () => {
    // array_to_tsvector does not refuse a longer one: it stores its length modulo 2048.
    const r = await t.asOwner<{ n: number }>(
      `SELECT max(octet_length(x))::int AS n
         FROM unnest(ledger_text_runs(repeat(repeat('\u{1F600}', 200) || '-', 10))) AS x`,
    );
    expect(r.rows[0]?.n).toBeGreaterThan(0);
    expect(r.rows[0]?.n).toBeLessThan(2048);
  });

  it('refuses an invalid event naming the field, and writes nothing', async () => {
    const before = await t.asOwner<{ n: string }>('SELECT count(*) AS n FROM ledger_events');
    await expect(
      ledger.appendOneTrip(sampleEvent({ outcome: 'maybe' }), { stream: 'access', idempotencyKey: 'bad' }),
    ).rejects.toThrow(LedgerValidationError);
    await expect(
      ledger.appendOneTrip(sampleEvent(), { stream: 'Bad Stream', idempotencyKey: 'bad' }),
    ).rejects.toThrow(/stream/);
    const after = await t.asOwner<{ n: string }>('SELECT count(*) AS n FROM ledger_events');
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });
});
