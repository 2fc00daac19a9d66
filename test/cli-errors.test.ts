import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCli, createTestDatabase, type TestDatabase } from './support';

let t: TestDatabase;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-errors-'));
const emptyApplication = path.join(dir, 'empty.json');
writeFileSync(emptyApplication, '{}');
chmodSync(dir, 0o711); // the embedded PostgreSQL runs as the postgres OS user when tests run as root

const cli = createCli(() => ({
  env: {
    DATABASE_URL: t.ownerUrl,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    LEDGERFLOW_DATA_DIR: path.join(dir, 'data'),
    LEDGERFLOW_PRINCIPAL: undefined,
    LEDGERFLOW_DEBUG: undefined,
  },
}));

beforeAll(async () => {
  t = await createTestDatabase();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('root', 'Root', '{admin}', 'test')`,
  );
});
afterAll(() => t?.drop());

/** Exactly one `error: ` line, the last one (progress notes may precede it), and no stack frame. */
function expectOneErrorLine(stderr: string, what: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(
    lines.filter((l) => l.startsWith('error: ')),
    `${what}: ${stderr}`,
  ).toHaveLength(1);
  expect(lines.at(-1), what).toMatch(/^error: \S/);
  expect(stderr, what).not.toMatch(/\n\s+at /);
  return lines.at(-1)!;
}

describe('one error style for ordinary mistakes: one line, "error: ...", exit 2 usage / 1 failure', () => {
  it('usage, denial, rejection, refusal and not-found all print one "error:" line with their exit code', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['no-such-command'], 2, /^error: unknown command 'no-such-command' \(run with --help for usage\)$/],
      [['loan', 'start'], 2, /required option '--file <path>' not specified \(run with --help for usage\)$/],
      [['events', 'list', '--after-seq', '-3'], 2, /--after-seq must be a whole number from 0/],
      [['loan', 'start', '--file', path.join(dir, 'missing.json')], 2, /cannot read .*missing\.json/],
      [['retention', 'run', '--as', 'ghost'], 2, /^error: denied: unknown principal "ghost"/],
      [
        ['loan', 'start', '--file', emptyApplication, '--as', 'root'],
        1,
        /^error: rejected: the application is invalid, no workflow was started: applicationId: .*; applicant: /,
      ],
      [
        ['loan', 'status', 'NO-SUCH-APP', '--as', 'root'],
        1,
        /^error: refused: no application "NO-SUCH-APP"$/,
      ],
      [['history', 'show', 'NO-SUCH-WF', '--as', 'root'], 1, /^error: not found: no workflow "NO-SUCH-WF"/],
      [
        ['events', 'list', '--stream', 'Bad Stream', '--as', 'root'],
        2,
        /^error: --stream: must be 1-63 chars/,
      ],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    for (const [i, r] of runs.entries()) {
      const [args, code, message] = cases[i]!;
      const what = args.join(' ');
      expect(r.code, `${what}: ${r.stderr}`).toBe(code);
      expect(expectOneErrorLine(r.stderr, what), what).toMatch(message);
    }
  }, 180_000);

  it('`ledgerflow verify` (the shortcut) runs "ledger verify" though only its own module is loaded', async () => {
    const r = await cli(['verify', '--json', '--as', 'root']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true });
  }, 60_000);

  it('a Temporal dev server that cannot be found or does not start is a one-line configuration error', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = String((probe.address() as { port: number }).port);
    await new Promise((resolve) => probe.close(resolve));
    const env = {
      TEMPORAL_ADDRESS: undefined,
      LEDGERFLOW_TEMPORAL_PORT: port,
      LEDGERFLOW_DATA_DIR: path.join(dir, 'no-temporal'),
    };
    const missing = await cli(['schedules', 'list'], {
      ...env,
      TEMPORAL_CLI_PATH: path.join(dir, 'no-such-cli'),
    });
    expect(missing.code, missing.stderr).toBe(2);
    expect(expectOneErrorLine(missing.stderr, 'missing CLI')).toMatch(
      /^error: TEMPORAL_CLI_PATH=.*no-such-cli is not an executable file \(fix or unset it\)$/,
    );
    // A "CLI" that exits at once: said when it exits, not after the 30 s wait for the port.
    const silent = await cli(['schedules', 'list'], { ...env, TEMPORAL_CLI_PATH: '/bin/true' });
    expect(silent.code, silent.stderr).toBe(2);
    expect(expectOneErrorLine(silent.stderr, 'silent CLI')).toMatch(
      /^error: Temporal dev server did not start on port \d+: it exited \(code 0\) before anything listened there; see .*temporal\.log, or set TEMPORAL_ADDRESS$/,
    );
  }, 180_000);

  it('an embedded PostgreSQL that cannot start is a one-line configuration error; LEDGERFLOW_DEBUG=1 adds the stack', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    const env = {
      DATABASE_URL: undefined,
      TEMPORAL_ADDRESS: undefined,
      LEDGERFLOW_PG_PORT: String(port),
      LEDGERFLOW_DATA_DIR: path.join(dir, 'squatted'),
    };
    try {
      const r = await cli(['events', 'list'], env);
      expect(r.code, r.stderr).toBe(2);
      const line = expectOneErrorLine(r.stderr, 'events list on a taken port');
      expect(line).toMatch(
        new RegExp(`embedded PostgreSQL did not start on port ${port} .*LEDGERFLOW_PG_PORT`),
      );
      const debug = await cli(['events', 'list'], { ...env, LEDGERFLOW_DEBUG: '1' });
      expect(debug.code).toBe(2);
      expect(debug.stderr).toMatch(/\n\s+at /);
      expect(debug.stderr.trimEnd().split('\n').at(-1)).toMatch(/^error: embedded PostgreSQL did not start/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 180_000);
});
