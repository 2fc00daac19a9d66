import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLedger, type Ledger } from '../ledger/ledger';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

let t: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  t = await createTestDatabase();
  ledger = createLedger(t.connect());
});
afterAll(() => t?.drop());

// Event ids the ledger assigns are time-ordered (UUIDv7): each append's new ids sit at the right
// edge of the event-id index instead of on random pages of it (append stays flat as it grows).
it('assigns time-ordered event ids (UUIDv7) in append order; a caller-given id is kept', async () => {
  const items = Array.from({ length: 300 }, (_, i) => ({ event: sampleEvent(), idempotencyKey: `ids-${i}` }));
  await ledger.appendMany(items.slice(0, 150), { stream: 'ids' });
  await ledger.append(sampleEvent(), { stream: 'ids', idempotencyKey: 'ids-single' });
  await ledger.appendMany(items.slice(150), { stream: 'ids' });
  const given = '0b8f7e1c-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
  await ledger.append(sampleEvent({ event_id: given }), { stream: 'ids', idempotencyKey: 'ids-given' });

  const r = await t.asOwner<{ event_id: string }>(
    `SELECT event_id::text FROM ledger_events WHERE stream = 'ids' ORDER BY seq`,
  );
  const ids = r.rows.map((x) => x.event_id);
  expect(ids).toHaveLength(302);
  expect(ids.at(-1)).toBe(given);
  const assigned = ids.slice(0, -1);
  expect(assigned.filter((id) => id[14] !== '7')).toEqual([]);
  expect(assigned).toEqual([...assigned].sort());
});
