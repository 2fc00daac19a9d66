import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { buildProgram } from '../client/commands/all';
import { COMMAND_AUTHORITY } from '../client/command-authority';
import { can, ROLES, type Action } from '../services/principals/authorization';
import { createTestDatabase, type TestDatabase } from './helpers';

/**
 * Every CLI read goes through one check (client/command-authority.ts authorizeRead): generated
 * from COMMAND_AUTHORITY, each `read` command runs in-process, as the CLI parses it, with no
 * principal, an unknown one, one whose role lacks the read's action and one whose role has it.
 */
let t: TestDatabase;
let dir: string;
let n = 0;

/** What a read command needs beyond `--as` to reach its action (required options, arguments). */
const ARGS: Record<string, () => string[]> = {
  'ledger prove': () => ['--seq', '1'],
  'ledger consistency': () => ['--from-size', '1'],
  'ledger export': () => ['--out', path.join(dir, `bundle-${++n}`)],
  'history export': () => ['wf-none', '--out', path.join(dir, `history-${++n}.json`)],
  'history show': () => ['wf-none'],
  'history replay': () => ['wf-none'],
  'loan status': () => ['app-none'],
  'ledger witness check': () => ['--witness', path.join(dir, 'witness')],
};

const READS = Object.entries(COMMAND_AUTHORITY).flatMap(([cmd, a]) =>
  'read' in a ? [{ cmd, action: a.read, record: a.record === true }] : [],
);

/** Runs `ledgerflow <args>` in-process with usage errors thrown, not exiting; captures output. */
async function run(args: string[], principal?: string) {
  if (principal) process.env.LEDGERFLOW_PRINCIPAL = principal;
  else delete process.env.LEDGERFLOW_PRINCIPAL;
  const program = buildProgram();
  const throwing = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(throwing);
  };
  throwing(program);
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out += String(c);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    err += String(c);
    return true;
  });
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'ledgerflow', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = process.exitCode;
  process.exitCode = 0;
  // Progress notes ("ledgerflow: generated a signing key ...") are not part of the answer.
  err = err
    .split('\n')
    .filter((l) => !l.startsWith('ledgerflow: '))
    .join('\n');
  return { code, out, err };
}

const count = async (sql: string, params: unknown[] = []) =>
  Number((await t.asOwner<{ n: string }>(sql, params)).rows[0]?.n);

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-reads-'));
  process.env.DATABASE_URL = t.ownerUrl;
  process.env.TEMPORAL_ADDRESS = inject('temporalAddress');
  process.env.LEDGERFLOW_DATA_DIR = path.join(dir, 'data');
  for (const role of ROLES)
    await t.asOwner(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ($1, $1, ARRAY[$2], 'test')`,
      [`only-${role}`, role],
    );
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('every CLI read is authorized in one place', () => {
  it('covers the reads the issue names', () => {
    const reads = READS.map((r) => r.cmd);
    for (const cmd of [
      'events list',
      'ledger verify',
      'ledger export',
      'ledger prove',
      'loan status',
      'history show',
    ])
      expect(reads).toContain(cmd);
  });

  it.each(READS)(
    '$cmd: refused without a principal, for an unknown one and for a role without $action',
    async (r) => {
      const words = r.cmd.split(' ');
      const args = () => [...words, ...(ARGS[r.cmd]?.() ?? [])];
      const none = await run(args());
      expect(none.err.trim(), r.cmd).toMatch(
        /^error: denied: no acting principal: pass --as <principal> or set LEDGERFLOW_PRINCIPAL$/,
      );
      expect(none.code).toBe(2);
      expect(none.out).toBe('');
      const ghost = await run([...args(), '--as', 'ghost-reader']);
      expect(ghost.err.trim()).toMatch(/^error: denied: unknown principal "ghost-reader"/);
      const lacking = ROLES.find((role) => !can([role], r.action as Action)) as string;
      const before = await count(
        `SELECT count(*) AS n FROM ledger_events WHERE event_type = 'access.denied' AND actor_id = $1 AND resource_id = $2`,
        [`only-${lacking}`, r.action],
      );
      const forbidden = await run(args(), `only-${lacking}`);
      expect(forbidden.code).toBe(2);
      expect(forbidden.out).toBe('');
      expect(forbidden.err.trim()).toMatch(
        new RegExp(`^error: denied: principal "only-${lacking}" may not ${r.action.replace('.', '\\.')}`),
      );
      // A known principal's denial is on record (once per principal, action and minute).
      expect(
        await count(
          `SELECT count(*) AS n FROM ledger_events WHERE event_type = 'access.denied' AND actor_id = $1 AND resource_id = $2`,
          [`only-${lacking}`, r.action],
        ),
      ).toBeGreaterThanOrEqual(Math.max(before, 1));
    },
  );

  it('the "verify" shortcut is checked as "ledger verify" (--as passed through)', async () => {
    expect((await run(['verify'])).err.trim()).toMatch(/^error: denied: no acting principal/);
    const lacking = await run(['verify', '--as', 'only-reviewer']);
    expect(lacking.err.trim()).toMatch(/^error: denied: principal "only-reviewer" may not ledger\.verify/);
    const ok = await run(['verify', '--json', '--as', 'only-auditor']);
    expect(ok.err).not.toMatch(/denied/);
    expect(JSON.parse(ok.out)).toMatchObject({ valid: true });
  });

  it.each(READS)(
    '$cmd: runs for a role allowed $action, and a recorded read is a ledger event first',
    async (r) => {
      const allowed = ROLES.find((role) => can([role], r.action as Action)) as string;
      const words = r.cmd.split(' ');
      const ok = await run([...words, ...(ARGS[r.cmd]?.() ?? []), '--as', `only-${allowed}`]);
      expect(ok.err, r.cmd).not.toMatch(/denied/);
      const reads = await count(
        `SELECT count(*) AS n FROM ledger_events WHERE stream = 'access' AND event_type = 'cli.ledger_read' AND actor_id = $1 AND resource_id = $2`,
        [`only-${allowed}`, r.cmd],
      );
      expect(reads, r.cmd).toBe(r.record ? 1 : 0);
    },
  );
});
