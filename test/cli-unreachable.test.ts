import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCli, createTestDatabase, type TestDatabase } from './support';

let t: TestDatabase;
let closedPort: number;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-unreachable-'));
const application = path.join(dir, 'app.json');
writeFileSync(application, '{}');

const cli = createCli(() => ({
  env: {
    DATABASE_URL: t.ownerUrl,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    LEDGERFLOW_DATA_DIR: path.join(dir, 'data'),
    LEDGERFLOW_PRINCIPAL: 'admin',
  },
}));

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  t = await createTestDatabase();
  closedPort = await freePort();
});
afterAll(() => t?.drop());

const TEMPORAL_COMMANDS = [
  ['loan', 'status', 'APP-1'],
  ['loan', 'start', '--file', application],
  ['schedules', 'list'],
  ['history', 'show', 'APP-1'],
];

async function timed(args: string[], env: Record<string, string>) {
  const started = Date.now();
  const r = await cli(args, env);
  return { ...r, seconds: (Date.now() - started) / 1000 };
}

describe('unreachable servers are reported at once, in one line naming the fix', () => {
  it('Temporal at a closed port: exit 2, one line naming the address and "ledgerflow dev"', async () => {
    const runs = await Promise.all(
      TEMPORAL_COMMANDS.map((args) => timed(args, { TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}` })),
    );
    for (const [i, r] of runs.entries()) {
      const what = TEMPORAL_COMMANDS[i]!.join(' ');
      expect(r.code, `${what}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(r.stderr.trim(), what).toMatch(
        new RegExp(
          `^error: cannot reach Temporal at 127\\.0\\.0\\.1:${closedPort} \\(TEMPORAL_ADDRESS\\): connection refused; .*ledgerflow dev.*TEMPORAL_ADDRESS`,
        ),
      );
      // Generous bound for a loaded machine (it took ~80 s of retries); the bench measures it.
      expect(r.seconds, what).toBeLessThan(30);
    }
  }, 120_000);

  it('PostgreSQL at a closed port: exit 2, one line naming the address and DATABASE_URL', async () => {
    const url = new URL(t.ownerUrl);
    url.port = String(closedPort);
    const commands = [...TEMPORAL_COMMANDS, ['events', 'list']];
    const runs = await Promise.all(commands.map((args) => timed(args, { DATABASE_URL: url.toString() })));
    for (const [i, r] of runs.entries()) {
      const what = commands[i]!.join(' ');
      expect(r.code, `${what}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(r.stderr.trim(), what).toMatch(
        new RegExp(
          `^error: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closedPort} \\(DATABASE_URL\\): connection refused; .*DATABASE_URL`,
        ),
      );
      expect(r.stderr, what).not.toContain(url.password);
      expect(r.seconds, what).toBeLessThan(30);
    }
  }, 120_000);
});
