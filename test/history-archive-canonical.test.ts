import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger, type Ledger } from '../ledger/ledger';
import { closedRun, sealAndStore } from '../services/archive/archive-run';
import { canonicalHistoryJSON, historyFromJSON, historyToJSON } from '../services/archive/history-json';
import { createTestDatabase, type TestDatabase } from './support';

const fixture = readFileSync(
  path.join(__dirname, 'fixtures/histories/loan-approve-batch-archive.json'),
  'utf8',
);

/** The same history with every object's members in reverse order: how a second fetch may send map entries. */
function reversedMembers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedMembers);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .reverse()
      .map(([k, x]) => [k, reversedMembers(x)]),
  );
}

const fetched = historyFromJSON(fixture);
const fetchedAgain = historyFromJSON(reversedMembers(JSON.parse(fixture)));

describe('archived history form', () => {
  it('is the same text for two fetches whose map entries come in different orders', () => {
    // The defect: a payload metadata map's order reached the archived text and its digest.
    expect(historyToJSON(fetchedAgain)).not.toBe(historyToJSON(fetched));
    expect(canonicalHistoryJSON(fetchedAgain)).toBe(canonicalHistoryJSON(fetched));
  });

  it('stays replayable JSON of the same history', () => {
    const again = historyFromJSON(canonicalHistoryJSON(fetched));
    expect(canonicalHistoryJSON(again)).toBe(canonicalHistoryJSON(fetched));
    expect(again.events?.length).toBe(fetched.events?.length);
  });
});

describe('archiving a run again', () => {
  let t: TestDatabase;
  let ledger: Ledger;
  beforeAll(async () => {
    t = await createTestDatabase();
    ledger = createLedger(t.connect());
  });
  afterAll(async () => t?.drop());

  const run = (json: string) => ({
    ...closedRun('wf-canon', 'run-1', fetched)!,
    json,
  });

  it('returns the first archive for the same history in another member order, and refuses a different one', async () => {
    // An archive written before stop 12: the unsorted text as the server happened to send it.
    const first = await sealAndStore(ledger, run(historyToJSON(fetchedAgain)), { source: 'worker' });
    expect(first.created).toBe(true);
    const again = await sealAndStore(ledger, closedRun('wf-canon', 'run-1', fetched)!, { source: 'cli' });
    expect(again).toMatchObject({ created: false, digest: first.digest, ledgerSeq: first.ledgerSeq });
    const events = await t.asOwner(
      `SELECT count(*)::int AS n FROM ledger_events WHERE event_type = 'workflow.history_archived'`,
    );
    expect(events.rows[0]?.n).toBe(1);

    const other = JSON.parse(fixture) as { events: Array<{ eventTime: string }> };
    other.events[0]!.eventTime = '2020-01-01T00:00:00Z';
    await expect(
      sealAndStore(ledger, run(canonicalHistoryJSON(historyFromJSON(other))), { source: 'cli' }),
    ).rejects.toThrow(/archived with a different digest/);
  });
});
