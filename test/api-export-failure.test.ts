import { pbkdf2 } from 'node:crypto';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { generateKeyPairSync } from 'node:crypto';
import Fastify from 'fastify';
import { afterAll, expect, it } from 'vitest';
import { registerExportRoutes } from '../api/routes/exports';
import { signerFrom } from '../core/signing';
import { closeDatabase, createDatabase } from '../db/client';
import type { Ledger } from '../ledger/ledger';

// An export that fails before its first row (here: its database is closed) answers 500 and leaves
// nothing behind: no temporary file, and no stream that opens its removed path afterwards (CI saw
// an uncaught ENOENT from one, after the 409 of an export with no signed head yet).
const reader = createDatabase('postgres://nobody@127.0.0.1:1/none');
const app = Fastify({ logger: false });
registerExportRoutes(app, {
  reader,
  ledger: {} as Ledger,
  signer: signerFrom(generateKeyPairSync('ed25519').privateKey),
  preHandler: async (req) => {
    req.principal = { id: 'alice', role: 'auditor' } as NonNullable<typeof req.principal>;
  },
});
afterAll(() => app.close());

const exportDirs = () => readdirSync(os.tmpdir()).filter((d) => d.startsWith('ledgerflow-export-'));

it('a failed export answers 500, removes its file and raises nothing afterwards', async () => {
  await closeDatabase(reader);
  const uncaught: Error[] = [];
  const onError = (err: Error) => uncaught.push(err);
  process.on('uncaughtException', onError);
  try {
    const before = new Set(exportDirs());
    // Keep libuv's file threads busy, so that a file opened by a stream (asynchronously) would
    // open only after the failed request removed its directory.
    const busy = Array.from(
      { length: 8 },
      () => new Promise((resolve) => pbkdf2('x', 'y', 300_000, 32, 'sha256', resolve)),
    );
    const res = await app.inject({ method: 'GET', url: '/v1/exports/events' });
    expect(res.statusCode).toBe(500);
    expect(exportDirs().filter((d) => !before.has(d))).toEqual([]);
    await Promise.all(busy);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(uncaught.map((e) => e.message)).toEqual([]);
  } finally {
    process.off('uncaughtException', onError);
  }
});
