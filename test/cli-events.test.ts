import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../ledger/ledger';
import { createCli, createTestDatabase, sampleEvent, type TestDatabase } from './support';

let t: TestDatabase;
const cli = createCli(() => ({
  env: {
    DATABASE_URL: t.ownerUrl,
    LEDGERFLOW_PRINCIPAL: 'aud-1',
    TEMPORAL_ADDRESS: undefined,
    NO_COLOR: undefined,
  },
}));

interface Page {
  events: Array<{ stream: string; seq: number; occurred_at: string; case_id: string | null }>;
  next_cursor: string | null;
}
const list = async (args: string[]) => {
  const r = await cli(['events', 'list', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Page;
};
const key = (e: Page['events'][number]) => `${e.stream}:${e.seq}`;

beforeAll(async () => {
  t = await createTestDatabase();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('aud-1', 'Auditor', '{auditor}', 'test')`,
  );
  // A loan's events live in stream "loan", its screening in "screening": one case across two streams.
  const ledger = createLedger(t.connect());
  for (let i = 0; i < 7; i++)
    await ledger.append(sampleEvent({ case_id: i === 6 ? 'APP-2' : 'APP-1', payload: { n: i } }), {
      stream: i % 2 ? 'screening' : 'loan',
      idempotencyKey: `seed-${i}`,
    });
});
afterAll(() => t?.drop());

describe('events list searches every stream (issue 13)', () => {
  it('--case finds the case in every stream, ordered by (occurred_at, stream, seq); --stream narrows', async () => {
    const [all, loan] = await Promise.all([
      list(['--case', 'APP-1']),
      list(['--case', 'APP-1', '--stream', 'loan']),
    ]);
    expect(all.events).toHaveLength(6);
    expect(new Set(all.events.map((e) => e.stream))).toEqual(new Set(['loan', 'screening']));
    expect(all.events.every((e) => e.case_id === 'APP-1')).toBe(true);
    const sorted = [...all.events].sort(
      (a, b) =>
        a.occurred_at.localeCompare(b.occurred_at) || a.stream.localeCompare(b.stream) || a.seq - b.seq,
    );
    expect(all.events.map(key)).toEqual(sorted.map(key));
    expect(all.next_cursor).toBeNull();
    expect(loan.events.map(key)).toEqual(all.events.filter((e) => e.stream === 'loan').map(key));
  });

  it('pages with the printed cursor cover the whole result once, in order', async () => {
    const all = await list(['--case', 'APP-1']);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list([
        '--case',
        'APP-1',
        '--limit',
        '4',
        ...(cursor ? ['--cursor', cursor] : []),
      ]);
      seen.push(...page.events.map(key));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    expect(seen).toEqual(all.events.map(key));

    // The table prints the cursor of the next page on stderr, the rows on stdout.
    const text = await cli(['events', 'list', '--case', 'APP-1', '--limit', '4']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/screening/);
    expect(text.stdout).not.toContain('\u001b[');
    expect(text.stderr).toMatch(/^more: add --cursor [A-Za-z0-9_-]+$/m);
  });

  it('--after-seq pages one stream in seq order and is refused without --stream; bad cursors are one line', async () => {
    const loan = await list(['--stream', 'loan', '--after-seq', '1']);
    expect(loan.events.map((e) => e.seq)).toEqual([2, 3, 4]);
    const [noStream, both, badCursor, emptyCase] = await Promise.all([
      cli(['events', 'list', '--after-seq', '1']),
      cli(['events', 'list', '--stream', 'loan', '--after-seq', '1', '--cursor', 'abc']),
      cli(['events', 'list', '--cursor', 'not-a-cursor']),
      cli(['events', 'list', '--case', '']),
    ]);
    for (const [r, message] of [
      [noStream, /^error: --after-seq needs --stream .*--cursor$/],
      [both, /^error: --after-seq and --cursor cannot be combined/],
      [badCursor, /^error: --cursor: not a cursor of this API/],
      [emptyCase, /^error: --case: must not be empty$/],
    ] as const) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
  });
});
