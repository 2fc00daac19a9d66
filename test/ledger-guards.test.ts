import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom } from '../core/signing';
import type { Database } from '../db/client';
import { APP_ROLES } from '../db/roles';
import { createLedger } from '../ledger/ledger';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

const TABLES = [
  'ledger_events',
  'ledger_payloads',
  'ledger_payload_purges',
  'ledger_checkpoints',
  'ledger_merkle_tiles',
  'ledger_signing_keys',
];

let t: TestDatabase;
const pools = new Map<string, Database>();

beforeAll(async () => {
  t = await createTestDatabase();
  for (const role of APP_ROLES) pools.set(role, t.connect(role));
  const writer = pools.get('ledgerflow_writer') as Database;
  for (let i = 0; i < 3; i++) await createLedger(writer).append(sampleEvent(), { idempotencyKey: `g-${i}` });
  await createLedger(writer, { signer: signerFrom(generateKeyPairSync('ed25519').privateKey) }).checkpoint();
  await t.asOwner(
    `INSERT INTO ledger_payload_purges (stream, seq, purge_run_id, reason) VALUES ('default', 1, 'r', 'test')`,
  );
  await t.asOwner(
    `INSERT INTO ledger_merkle_tiles (stream, level, idx, hash) VALUES ('default', 8, 0, '\\x00')`,
  );
});
afterAll(() => t.drop());

const SET: Record<string, string> = {
  ledger_events: 'action = action',
  ledger_payloads: 'payload = payload',
  ledger_payload_purges: 'reason = reason',
  ledger_checkpoints: 'checkpoint = checkpoint',
  ledger_merkle_tiles: 'hash = hash',
  ledger_signing_keys: 'public_key = public_key',
};

describe('append-only enforcement in PostgreSQL', () => {
  it('each app role connects as itself', async () => {
    for (const role of APP_ROLES) {
      const r = await (pools.get(role) as Database).$client.query('SELECT current_user AS u');
      expect(r.rows[0].u).toBe(role);
    }
  });

  for (const role of APP_ROLES) {
    it(`${role} cannot UPDATE, DELETE or TRUNCATE any ledger table`, async () => {
      const db = pools.get(role) as Database;
      for (const table of TABLES) {
        await expect(
          db.$client.query(`UPDATE ${table} SET ${SET[table]}`),
          `${role} UPDATE ${table}`,
        ).rejects.toThrow(/permission denied|append-only/);
        await expect(db.$client.query(`DELETE FROM ${table}`), `${role} DELETE ${table}`).rejects.toThrow(
          /permission denied|append-only/,
        );
        await expect(db.$client.query(`TRUNCATE ${table}`), `${role} TRUNCATE ${table}`).rejects.toThrow(
          /permission denied|append-only/,
        );
      }
    });
  }

  it('reader and purger cannot INSERT into the checkpoint tables; the writer can read them', async () => {
    for (const role of ['ledgerflow_reader', 'ledgerflow_purger']) {
      const db = pools.get(role) as Database;
      await expect(
        db.$client.query(`INSERT INTO ledger_signing_keys (key_id, public_key) VALUES ('x', '\\x00')`),
      ).rejects.toThrow(/permission denied/);
    }
    const w = await (pools.get('ledgerflow_writer') as Database).$client.query(
      'SELECT count(*)::int AS n FROM ledger_checkpoints',
    );
    expect(w.rows[0]?.n).toBe(1);
  });

  it('the triggers stop even the owner, and the owner cannot disable or drop them', async () => {
    for (const table of TABLES) {
      await expect(t.asOwner(`UPDATE ${table} SET ${SET[table]}`)).rejects.toThrow(/append-only/);
      await expect(t.asOwner(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
      await expect(t.asOwner(`TRUNCATE ${table}`)).rejects.toThrow(/append-only/);
      await expect(t.asOwner(`ALTER TABLE ${table} DISABLE TRIGGER ALL`)).rejects.toThrow(
        /may not be disabled/,
      );
      await expect(t.asOwner(`DROP TABLE ${table} CASCADE`)).rejects.toThrow(/may not be dropped/);
    }
    await expect(
      t.asOwner('DROP TRIGGER ledger_checkpoints_append_only ON ledger_checkpoints'),
    ).rejects.toThrow(/may not be dropped/);
  });
});
