import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase } from '../db/client';
import { runMigrations } from '../db/migrate';
import { appRoleUrl } from '../db/roles';
import { loadSigner } from '../ledger/keys';
import { createLedger } from '../ledger/ledger';
import { ensurePrincipal } from '../services/principals/principals';
import { loadConfig } from '../runtime/config';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../runtime/embedded-postgres';
import { freePort } from '../runtime/temporal-server';
import { runCli } from './support';

// The recipe of docs/operations.md "Backup and restore", on a cluster of its own: a cold copy of
// the data directory (the one backup the installed client tools can take of a PostgreSQL 18
// server here), restored to a new server, then verified with keys and a head kept elsewhere.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lf-backup-'));
// Run as root, PostgreSQL runs as the postgres user, who must reach the data dirs below.
chmodSync(tmp, 0o711);
const servers: EmbeddedPostgresHandle[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

const start = async (dir: string) => {
  const s = await startEmbeddedPostgres({ dir, port: await freePort(), persistent: true });
  servers.push(s);
  return s;
};
const event = (i: number) => ({
  event_type: 'billing.invoice_sent',
  actor: { type: 'service' as const, id: 'billing' },
  resource: { type: 'invoice', id: `inv-${i}` },
  action: 'send',
  outcome: 'success' as const,
  payload: { amount: i },
});

describe('backup and restore of the ledger', () => {
  it(
    'a restored copy verifies with the kept keys; a head signed after the backup shows what it lost',
    { timeout: 300_000 },
    async () => {
      const live = path.join(tmp, 'live', 'pg');
      const dataDir = path.join(tmp, 'data');
      const outside = mkdtempSync(path.join(tmp, 'kept-elsewhere-'));
      const appendAll = async (ownerUrl: string, from: number, to: number) => {
        const config = loadConfig({ ...process.env, DATABASE_URL: ownerUrl, LEDGERFLOW_DATA_DIR: dataDir });
        await runMigrations(config, ownerUrl);
        const db = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_writer'), { max: 2 });
        const ledger = createLedger(db, { signer: loadSigner(config), checkpointEvery: 1024 });
        // The auditor who verifies the restore: reads act as a known principal.
        if (from === 1) await ensurePrincipal(db, 'auditor-1', ['auditor']);
        for (let i = from; i <= to; i++)
          await ledger.append(event(i), { stream: 'billing', idempotencyKey: `inv-${i}` });
        await closeDatabase(db);
      };
      const cli = (args: string[], ownerUrl: string, data = dataDir) =>
        runCli(args, {
          env: {
            DATABASE_URL: ownerUrl,
            LEDGERFLOW_DATA_DIR: data,
            TEMPORAL_ADDRESS: undefined,
            LEDGERFLOW_PRINCIPAL: 'auditor-1',
          },
          timeoutMs: 120_000,
        });

      let server = await start(live);
      await appendAll(server.ownerUrl, 1, 20);
      // The operator's trusted keys, kept apart from the database and its backups.
      expect(
        (await cli(['ledger', 'keys', 'export', '--out', path.join(outside, 'keys.txt')], server.ownerUrl))
          .code,
      ).toBe(0);

      // Backup: stop the server, copy its data directory (and the owner password beside it).
      await server.stop();
      const backup = path.join(tmp, 'backup', 'pg');
      execFileSync('mkdir', ['-p', path.dirname(backup)]);
      execFileSync('cp', ['-a', live, backup]);
      copyFileSync(`${live}.password`, `${backup}.password`);

      // Life goes on: ten more events, and a head signed and published after the backup.
      server = await start(live);
      await appendAll(server.ownerUrl, 21, 30);
      const head = path.join(outside, 'head.txt');
      expect((await cli(['ledger', 'checkpoint', '--out', head], server.ownerUrl)).code).toBe(0);
      await server.stop();

      // Restore to a new server (new port), verified from a fresh data dir: nothing pinned locally.
      const restored = await start(backup);
      const fresh = path.join(tmp, 'verifier');
      const keys = path.join(outside, 'keys.txt');
      const ok = await cli(['ledger', 'verify', '--trusted-keys', keys, '--json'], restored.ownerUrl, fresh);
      expect(ok.code, ok.stderr).toBe(0);
      const report = JSON.parse(ok.stdout) as {
        valid: boolean;
        streams: Array<{ stream: string; eventsChecked: number }>;
      };
      expect(report.valid).toBe(true);
      expect(report.streams.find((s) => s.stream === 'billing')?.eventsChecked).toBe(20);

      // Against the head signed after the backup, the restore is a rollback: named, exit 1.
      const lost = await cli(
        ['ledger', 'verify', '--trusted-keys', keys, '--trusted-checkpoint', head, '--json'],
        restored.ownerUrl,
        fresh,
      );
      expect(lost.code, lost.stderr).toBe(1);
      expect(JSON.parse(lost.stdout)).toMatchObject({
        valid: false,
        stream: 'billing',
        fault: 'tail truncated after a checkpoint',
        firstBadSeq: 21,
      });
    },
  );
});
