import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sampleApplication } from '../simulators/loan-fixtures';
import { createCli, createTestDatabase, type TestDatabase } from './support';

let t: TestDatabase;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-noworker-'));
// A task queue no worker ever polls.
const taskQueue = `nobody-${randomBytes(4).toString('hex')}`;

const cli = createCli(() => ({
  env: {
    DATABASE_URL: t.ownerUrl,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    LEDGERFLOW_DATA_DIR: path.join(dir, 'data'),
    LEDGERFLOW_PRINCIPAL: 'root',
  },
}));

function applicationFile(id: string): string {
  const file = path.join(dir, `${id}.json`);
  writeFileSync(file, JSON.stringify(sampleApplication(id)));
  return file;
}

beforeAll(async () => {
  t = await createTestDatabase();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('root', 'Root', '{admin}', 'test')`,
  );
});
afterAll(() => t?.drop());

describe('loan start with no worker polling the task queue', () => {
  it('--wait refuses at once in one line, before anything is stored or started', async () => {
    const started = Date.now();
    const r = await cli(['loan', 'start', '--file', applicationFile('app-nw-wait'), '--wait']);
    expect(r.code, r.stderr).toBe(2);
    // Progress notes may precede it (a first run generates the signing key): one error line, last.
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('error:'))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^error: no worker is polling task queue "${taskQueue}": start one \\("ledgerflow dev" or "ledgerflow worker"\\), or leave out --wait to submit anyway$`,
      ),
    );
    expect((Date.now() - started) / 1000).toBeLessThan(30);
    const stored = await t.asOwner(`SELECT count(*)::int AS n FROM loan_applications`);
    expect(stored.rows[0]?.n).toBe(0);
  }, 60_000);

  it('without --wait: "submitted", plus a note that no worker is polling', async () => {
    const r = await cli(['loan', 'start', '--file', applicationFile('app-nw-submit')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/application app-nw-submit submitted: workflow run \S+/);
    expect(r.stderr).toMatch(
      new RegExp(
        `note: no worker is polling task queue "${taskQueue}"; the application waits until one starts \\("ledgerflow dev" or "ledgerflow worker"\\)`,
      ),
    );
  }, 60_000);
});
