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

describe('history commands: one clear line for a bad file, a running workflow, a bad run id', () => {
  it('history replay of a file that is not a history: exit 2, one line, nothing of its content', async () => {
    const notJson = path.join(dir, 'bad.json');
    writeFileSync(notJson, 'Maria Schneider, 1984-06-02');
    const noEvents = path.join(dir, 'empty.json');
    writeFileSync(noEvents, '{"name": "Maria Schneider"}');
    for (const [file, why] of [
      [notJson, 'it is not JSON'],
      [noEvents, 'it has no "events" array'],
    ] as const) {
      const r = await cli(['history', 'replay', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim()).toBe(
        `error: ${file} is not a workflow history (${why}); write one with "ledgerflow history export <workflowId> --out <file>"`,
      );
    }
  }, 60_000);

  it('history archive of a running workflow, or with a malformed run id: exit 1 / 2, one line', async () => {
    const submitted = await cli(['loan', 'start', '--file', applicationFile('app-nw-running')]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const running = await cli(['history', 'archive', 'app-nw-running']);
    expect(running.code, running.stderr).toBe(1);
    expect(running.stderr.trim()).toMatch(
      /^error: refused: workflow app-nw-running \(run \S+\) is still running; archive it after it closes$/,
    );
    const badRun = await cli(['history', 'archive', 'app-nw-running', '--run', 'not-a-run']);
    expect(badRun.code, badRun.stderr).toBe(2);
    expect(badRun.stderr.trim()).toMatch(
      /^error: option '--run <runId>' argument 'not-a-run' is invalid\. --run must be a run id \(a UUID\)/,
    );
    const stored = await t.asOwner(`SELECT count(*)::int AS n FROM workflow_histories`);
    expect(stored.rows[0]?.n).toBe(0);
  }, 60_000);
});
