import pg from 'pg';

/** Shape of the synthetic ledger: value spreads chosen so each filter is selective like real use. */
export const FIXTURE = {
  streams: 8,
  actors: 5000,
  resources: 100_000,
  eventTypes: 50,
  subjects: 20_000,
  cases: 50_000,
  workflows: 30_000,
  /** One payload row per this many events (payload text for full-text search). */
  payloadEvery: 10,
  start: '2026-01-01T00:00:00Z',
};

/**
 * Bulk-inserts `n` synthetic events (and a payload for every FIXTURE.payloadEvery-th) with SQL
 * into the database at `ownerUrl` (a throwaway one: the rows are not a valid chain), loaded
 * unlogged and then made logged (as a production ledger is: the API bench times durable read
 * records), then ANALYZE. `logged: false` leaves the tables unlogged: plans are the same, and
 * the tests that only read plans skip rewriting every row and index into the WAL.
 */
export async function buildEventsFixture(
  ownerUrl: string,
  n: number,
  { logged = true }: { logged?: boolean } = {},
): Promise<void> {
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    await c.query(`SET synchronous_commit = off`);
    await c.query(`SET maintenance_work_mem = '256MB'`);
    // Secondary indexes are dropped and rebuilt from their own definitions (pg_indexes): one
    // build is many times faster than a million incremental inserts, GIN above all.
    const defs = (
      await c.query<{ name: string; def: string }>(
        `SELECT indexname AS name, indexdef AS def FROM pg_indexes
          WHERE tablename IN ('ledger_events', 'ledger_payloads')
            AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
      )
    ).rows;
    const constraints = (
      await c.query<{ table: string; name: string; def: string }>(
        `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS def
           FROM pg_constraint WHERE conrelid IN ('ledger_events'::regclass, 'ledger_payloads'::regclass)
            AND contype IN ('p', 'u')`,
      )
    ).rows;
    for (const d of defs) await c.query(`DROP INDEX ${d.name}`);
    for (const k of constraints) await c.query(`ALTER TABLE ${k.table} DROP CONSTRAINT ${k.name}`);
    // A throwaway database: no WAL for the bulk load.
    await c.query('ALTER TABLE ledger_events SET UNLOGGED');
    await c.query('ALTER TABLE ledger_payloads SET UNLOGGED');
    const f = FIXTURE;
    const chunk = 250_000;
    for (let lo = 1; lo <= n; lo += chunk) {
      const hi = Math.min(n, lo + chunk - 1);
      await c.query(
        `INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at,
           resource_type, resource_id, action, outcome, subject_id, case_id, context, schema_version,
           idempotency_key, payload_digest, prev_hash, hash)
         SELECT 's' || ((i - 1) % ${f.streams}), (i - 1) / ${f.streams} + 1,
                md5(i::text)::uuid, 'bench.type_' || (i % ${f.eventTypes}), 'user', 'user-' || (i % ${f.actors}),
                $3::timestamptz + i * interval '1 second',
                'resource', 'res-' || (i % ${f.resources}), 'act' || (i % 20),
                CASE WHEN i % 100 = 0 THEN 'denied' ELSE 'success' END,
                CASE WHEN i % 3 = 0 THEN 'subj-' || (i % ${f.subjects}) END,
                'case-' || (i % ${f.cases}),
                jsonb_build_object('workflow_id', 'wf-' || (i % ${f.workflows})), 1, 'k' || i,
                sha256(i::text::bytea), sha256(('p' || i)::bytea), sha256(('h' || i)::bytea)
           FROM generate_series($1::bigint, $2::bigint) AS i`,
        [lo, hi, f.start],
      );
      await c.query(
        `INSERT INTO ledger_payloads (stream, seq, salt, payload)
         SELECT 's' || ((i - 1) % ${f.streams}), (i - 1) / ${f.streams} + 1, substring(sha256(i::text::bytea) from 1 for 16),
                jsonb_build_object('name', 'person ' || (i % 9973), 'note', 'payment ' || i)
           FROM generate_series($1::bigint, $2::bigint) AS i WHERE i % ${f.payloadEvery} = 0`,
        [lo, hi],
      );
    }
    for (const k of constraints) await c.query(`ALTER TABLE ${k.table} ADD CONSTRAINT ${k.name} ${k.def}`);
    for (const d of defs) await c.query(d.def);
    // Logged again before measuring: appends to an unlogged table write no WAL, so a read
    // record's commit was never flushed and the bench measured a non-durable record.
    if (logged) {
      await c.query('ALTER TABLE ledger_events SET LOGGED');
      await c.query('ALTER TABLE ledger_payloads SET LOGGED');
    }
    await c.query('ANALYZE ledger_events');
    await c.query('ANALYZE ledger_payloads');
  } finally {
    await c.end();
  }
}

/** The filters an auditor uses most, as API query objects over the fixture (indexed each). */
export const COMMON_FILTERS: Record<string, Record<string, string>> = {
  actor: { actor: 'user-42' },
  subject: { subject_id: 'subj-123' },
  case: { case_id: 'case-777' },
  workflow: { workflow_id: 'wf-4242' },
  'time range': { from: '2026-01-02T00:00:00Z', to: '2026-01-02T00:10:00Z' },
  resource: { resource: 'res-31337' },
  'event type': { event_type: 'bench.type_7' },
  denied: { outcome: 'denied' },
  'full text': { q: 'bench type_7 user-42' },
  'payload text': { payload_text: 'person 977' },
};

/**
 * Two exports of n/50 events each: one event type (spread evenly over the whole ledger, so every
 * 256-leaf tile of every stream is needed for the proofs) and a time range (contiguous events).
 */
export function exportFilters(n: number): Record<string, Record<string, string>> {
  const at = (seconds: number) =>
    new Date(Date.parse(FIXTURE.start) + seconds * 1000).toISOString().replace('.000Z', 'Z');
  return {
    'one event type (sparse)': { event_type: 'bench.type_7' },
    'time range (contiguous)': {
      from: at(Math.floor(n / 4)),
      to: at(Math.floor(n / 4) + Math.floor(n / 50)),
    },
  };
}
