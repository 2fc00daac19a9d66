import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import {
  batchDigestV1,
  batchDigestV2,
  batchDigestV2OfContent,
  batchDigestV3,
  foldDigests,
  rowTextDigest,
  signPurgeCertificate,
  verifyPurgeCertificate,
  type PurgeCertificate,
} from '../core/retention';
import { signerFrom } from '../core/signing';
import { createLedger } from '../ledger/ledger';
import { issuePurgeCertificate } from '../services/retention/certificate';
import { batchRecords, purgeBatch } from '../services/retention/purge';
import type { Database } from '../db/client';
import pg from 'pg';
import { createTestDatabase, type TestDatabase, waitFor } from './support';

/**
 * Purge batch digests are versioned: ledger payloads (since migration 0039) are digested as
 * version 2 (SHA-256 over the items' 32-byte content digests, each payload's event payload
 * digest); business rows as version 2 (since 0035: over each row's SHA-256 of its binary record
 * form) and, for classes with a one-column text or integer key such as loan_applications, as
 * version 3 since 0041 (SHA-256 over the rows' binary record forms concatenated). Every batch
 * record and certificate says which version applies, and every version recomputes offline from a
 * copy of the rows taken before the purge (core/retention/purge-digest.ts). A batch recorded as
 * version 1 or 2 before those migrations keeps verifying as such.
 */
let t: TestDatabase;
let purger: Database;
let writer: Database;
const APP_COLUMNS = `SELECT string_agg(format('a.%I', attname), ', ' ORDER BY attnum) AS cols FROM pg_attribute
  WHERE attrelid = 'loan_applications'::regclass AND attnum > 0 AND NOT attisdropped`;
let cols = '';
/** The "backup": every application's key, binary record form and text form before the purge. */
let backup: Array<{ id: string; form: Buffer; text: string }> = [];

beforeAll(async () => {
  t = await createTestDatabase();
  purger = t.connect('ledgerflow_purger');
  writer = t.connect();
  cols = (await t.asOwner<{ cols: string }>(APP_COLUMNS)).rows[0]!.cols;
  // Values that exercise each column type's binary form: NULLs, nested jsonb with non-ASCII text,
  // numerics with and without fractions, timestamps with microseconds.
  await t.asOwner(
    `INSERT INTO loan_applications (id, applicant, company_registration_number, amount, currency, term_months, purpose,
       file_digest, submitted_by, decision, created_at, updated_at)
     SELECT 'app-' || lpad(s::text, 3, '0'),
            CASE WHEN s % 4 = 0 THEN NULL ELSE jsonb_build_object('name', 'Zoë ' || s, 'tags', jsonb_build_array(s, 'ä', true)) END,
            'HRB ' || s, (s * 1234.5)::numeric(14, 2) / 7, 'EUR', s, 'purpose "' || s || '"', md5(s::text), 'test',
            CASE WHEN s % 3 = 0 THEN 'approved' END,
            now() - interval '10 days' + s * interval '1.000007 second', now() - interval '10 days'
       FROM generate_series(1, 13) s`,
  );
  await t.asOwner(
    `INSERT INTO legal_holds (hold_id, scope, scope_value, case_id, reason, placed_by)
     VALUES (gen_random_uuid(), 'case', 'app-007', 'DV-1', 'test', 'test')`,
  );
  await t.asOwner(
    `INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at, resource_type,
       resource_id, action, outcome, subject_id, case_id, context, schema_version, idempotency_key, payload_digest,
       prev_hash, hash)
     SELECT 'dv', s, gen_random_uuid(), 'test.personal_data', 'service', 'test', now() - interval '10 days',
            'application', 'x-' || s, 'record', 'success', 'subj-' || s, 'case-' || s, '{}', 1, 'k' || s,
            sha256(convert_to('dv' || s, 'UTF8')), sha256(convert_to((s - 1)::text, 'UTF8')), sha256(convert_to(s::text, 'UTF8'))
       FROM generate_series(1, 9) s`,
  );
  await t.asOwner(
    `INSERT INTO ledger_payloads (stream, seq, salt, payload)
     SELECT 'dv', s, decode(md5(s::text), 'hex'), jsonb_build_object('n', s) FROM generate_series(1, 9) s`,
  );
  await t.asOwner(
    `INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action,
       legal_minimum_seconds, changed_by, reason)
     VALUES ('dv', 1, '{loan_applications,ledger_payloads}', 86400, 'P1D', 'created', 'delete', 0, 'test', 'test')`,
  );
  backup = (
    await t.asOwner<{ id: string; form: Buffer; text: string }>(
      `SELECT a.id, record_send(ROW(${cols})) AS form, ROW(${cols})::text AS text FROM loan_applications a ORDER BY a.id`,
    )
  ).rows;
});
afterAll(async () => {
  await t.drop();
});

async function purgeAll(runId: string, dataClass: string, limit: number) {
  const asOf = new Date(Date.now() - 1000).toISOString();
  let cursor: unknown = null;
  for (;;) {
    const r = await purgeBatch(purger, {
      purgeRunId: runId,
      dataClass,
      asOf,
      limit,
      cursor,
      viaSetRole: false,
    });
    cursor = r.cursor;
    if (r.done) return;
  }
}

const { privateKey } = generateKeyPairSync('ed25519');
const signer = signerFrom(privateKey);

/** Issues the certificate of purge run `runId` over one data class and reads it back from the ledger. */
async function certOf(runId: string, dataClass = 'loan_applications') {
  const deps = { db: writer, ledger: createLedger(writer), signer };
  await issuePurgeCertificate(
    deps,
    { purgeRunId: runId, asOf: new Date().toISOString(), requestedBy: 'alice', dataClasses: [dataClass] },
    { ...stamp, step: (s: string) => stamp.step(`${runId}:${s}`) },
  );
  const r = await t.asOwner<{ payload: Parameters<typeof verifyPurgeCertificate>[0] }>(
    `SELECT p.payload FROM ledger_events e JOIN ledger_payloads p USING (stream, seq)
      WHERE e.event_type = 'retention.purge_certificate' AND e.resource_id = $1`,
    [runId],
  );
  return r.rows[0]!.payload;
}

const stamp = {
  actorId: 'retentionPurge',
  workflowId: 'dv-wf',
  runId: 'dv-run',
  step: (step: string) => ({ context: { step }, idempotencyKey: `dv:${step}` }),
};

describe('purge digest versions', () => {
  it('business batches record digest version 3, recomputed offline from the rows binary record forms', async () => {
    await purgeAll('dv-apps', 'loan_applications', 5);
    const records = (await batchRecords(writer, 'dv-apps')).filter(
      (r) => r.dataClass === 'loan_applications',
    );
    expect(records.map((r) => [r.purged, r.digestVersion])).toEqual([
      [5, 3],
      [5, 3],
      [2, 3],
    ]);
    const kept = (await t.asOwner<{ id: string }>('SELECT id FROM loan_applications')).rows.map((r) => r.id);
    expect(kept).toEqual(['app-007']);
    for (const r of records) {
      const rows = backup.filter((b) => b.id >= r.firstKey! && b.id <= r.lastKey! && b.id !== 'app-007');
      expect(rows).toHaveLength(r.purged);
      expect(batchDigestV3(rows.map((b) => b.form))).toBe(r.digest);
      // Not the version 1 or 2 digest of the same rows: the version decides how a verifier recomputes.
      expect(batchDigestV1(rows.map((b) => ({ key: b.id, contentDigest: rowTextDigest(b.text) })))).not.toBe(
        r.digest,
      );
      expect(batchDigestV2(rows.map((b) => b.form))).not.toBe(r.digest);
    }
  });

  it('ledger payload batches record digest version 2, recomputed offline from the events payload digests; a version 1 payload batch (before 0039) still recomputes as version 1', async () => {
    const digests = (
      await t.asOwner<{ seq: string; d: Buffer }>(
        `SELECT seq, payload_digest AS d FROM ledger_events WHERE stream = 'dv' ORDER BY seq`,
      )
    ).rows;
    await purgeAll('dv-payloads', 'ledger_payloads', 4);
    const records = await batchRecords(writer, 'dv-payloads');
    expect(records.map((r) => [r.purged, r.digestVersion])).toEqual([
      [4, 2],
      [4, 2],
      [1, 2],
    ]);
    const between = (lo: number, hi: number) =>
      digests.filter((d) => Number(d.seq) >= lo && Number(d.seq) <= hi);
    for (const r of records) {
      const [lo, hi] = [r.firstKey!, r.lastKey!].map((k) => Number(k.split(':')[1]));
      const items = between(lo!, hi!);
      expect(items).toHaveLength(r.purged);
      expect(batchDigestV2OfContent(items.map((d) => d.d))).toBe(r.digest);
      expect(batchDigestV1(items.map((d) => ({ key: `dv:${d.seq}`, contentDigest: d.d })))).not.toBe(
        r.digest,
      );
    }
    // A payload batch recorded by the previous function (version 1 lines) keeps verifying as 1.
    await t.asOwner(
      `INSERT INTO retention_purge_batches (purge_run_id, data_class, batch_no, purged, first_key, last_key, digest, as_of,
         policy_versions)
       SELECT 'dv-old-payloads', 'ledger_payloads', 1, count(*), 'dv:' || min(seq), 'dv:' || max(seq),
              sha256(convert_to(string_agg(stream || ':' || seq || ' ' || encode(payload_digest, 'hex') || E'\\n', '' ORDER BY seq), 'UTF8')),
              now(), 'dv@v1'
         FROM ledger_events WHERE stream = 'dv' AND seq BETWEEN 2 AND 5`,
    );
    const [old] = await batchRecords(writer, 'dv-old-payloads');
    expect(old!.digestVersion).toBe(1);
    expect(batchDigestV1(between(2, 5).map((d) => ({ key: `dv:${d.seq}`, contentDigest: d.d })))).toBe(
      old!.digest,
    );
    const certs = [
      await certOf('dv-payloads', 'ledger_payloads'),
      await certOf('dv-old-payloads', 'ledger_payloads'),
    ];
    expect(certs.map((c) => c.certificate.classes[0]!.digestVersions)).toEqual([[2], [1]]);
    for (const c of certs) expect(verifyPurgeCertificate(c, signer.publicKey)).toBe(true);
  });

  it('business batches recorded as version 1 (before 0035) or 2 (before 0041) still verify as such, and the certificate says which versions apply', async () => {
    // A run recorded by the previous function: the version 1 SQL digest over the rows' text form.
    const old = backup.filter((b) => b.id <= 'app-003');
    await t.asOwner(
      `INSERT INTO retention_purge_batches (purge_run_id, data_class, batch_no, purged, first_key, last_key, digest, as_of,
         policy_versions)
       SELECT 'dv-old', 'loan_applications', 1, count(*), min(id), max(id),
              sha256(convert_to(string_agg(id || ' ' || encode(sha256(convert_to(t, 'UTF8')), 'hex') || E'\\n', '' ORDER BY id), 'UTF8')),
              now(), 'dv@v1'
         FROM unnest($1::text[], $2::text[]) AS b(id, t)`,
      [old.map((b) => b.id), old.map((b) => b.text)],
    );
    const [rec] = await batchRecords(writer, 'dv-old');
    expect(rec!.digestVersion).toBe(1);
    expect(batchDigestV1(old.map((b) => ({ key: b.id, contentDigest: rowTextDigest(b.text) })))).toBe(
      rec!.digest,
    );

    // A run recorded between 0035 and 0041: the version 2 SQL digest over the rows' record forms.
    const v2Rows = backup.filter((b) => b.id >= 'app-004' && b.id <= 'app-006');
    await t.asOwner(
      `INSERT INTO retention_purge_batches (purge_run_id, data_class, batch_no, purged, first_key, last_key, digest,
         digest_version, as_of, policy_versions)
       SELECT 'dv-v2', 'loan_applications', 1, count(*), min(id), max(id),
              sha256(string_agg(sha256(f), ''::bytea ORDER BY id)), 2, now(), 'dv@v1'
         FROM unnest($1::text[], $2::bytea[]) AS b(id, f)`,
      [v2Rows.map((b) => b.id), v2Rows.map((b) => b.form)],
    );
    const [v2Rec] = await batchRecords(writer, 'dv-v2');
    expect(v2Rec!.digestVersion).toBe(2);
    expect(batchDigestV2(v2Rows.map((b) => b.form))).toBe(v2Rec!.digest);
    expect(batchDigestV3(v2Rows.map((b) => b.form))).not.toBe(v2Rec!.digest);
    const v2Cert = await certOf('dv-v2');
    expect(v2Cert.certificate.classes[0]).toMatchObject({
      digestVersions: [2],
      digest: foldDigests([v2Rec!.digest]),
    });
    expect(verifyPurgeCertificate(v2Cert, signer.publicKey)).toBe(true);

    const oldCert = await certOf('dv-old');
    const newCert = await certOf('dv-apps');
    expect(oldCert.certificate.version).toBe(2);
    expect(oldCert.certificate.classes[0]).toMatchObject({
      digestVersions: [1],
      digest: foldDigests([rec!.digest]),
    });
    const newRecords = await batchRecords(writer, 'dv-apps');
    expect(newCert.certificate.classes[0]).toMatchObject({
      digestVersions: [3],
      digest: foldDigests(newRecords.map((r) => r.digest)),
    });
    for (const c of [oldCert, newCert]) expect(verifyPurgeCertificate(c, signer.publicKey)).toBe(true);

    // A version 1 certificate (no digestVersions) signed before this change still verifies.
    const v1: PurgeCertificate = {
      ...oldCert.certificate,
      version: 1,
      classes: [{ ...oldCert.certificate.classes[0]! }],
    };
    delete v1.classes[0]!.digestVersions;
    expect(verifyPurgeCertificate(signPurgeCertificate(v1, signer), signer.publicKey)).toBe(true);
  });
  it('a business row changed between the claim and the delete: the batch records exactly the rows it deleted', async () => {
    // Rows of their own (the first test purged the others; app-007 stays held).
    await t.asOwner(
      `INSERT INTO loan_applications (id, applicant, company_registration_number, amount, currency, term_months, purpose,
         file_digest, submitted_by, created_at, updated_at)
       SELECT 'chg-' || s, jsonb_build_object('n', s), 'HRB ' || s, 100 * s, 'EUR', 12, 'p', md5(s::text), 'test',
              now() - interval '10 days', now() - interval '10 days'
         FROM generate_series(1, 6) s`,
    );
    const before = (
      await t.asOwner<{ id: string; form: Buffer }>(
        `SELECT a.id, record_send(ROW(${cols})) AS form FROM loan_applications a WHERE a.id LIKE 'chg-%' ORDER BY a.id`,
      )
    ).rows;
    const purgerClient = new pg.Client({ connectionString: t.urlFor('ledgerflow_purger') });
    const placer = new pg.Client({ connectionString: t.urlFor('ledgerflow_writer') });
    await purgerClient.connect();
    await placer.connect();
    try {
      // A hold placement in flight keeps the batch waiting at its SHARE lock, after its claim.
      await placer.query('BEGIN');
      await placer.query('LOCK TABLE legal_holds IN ROW EXCLUSIVE MODE');
      const pid = (await purgerClient.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await purgerClient.query('BEGIN');
      const batch = purgerClient.query<{ r: { purged: number; claimed: number; held_late: number } }>(
        `SELECT retention_purge_batch('dv-changed', 'loan_applications', now() - interval '1 second', 100) AS r`,
      );
      await waitFor(
        async () =>
          (
            await t.asOwner(
              `SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted AND relation = 'legal_holds'::regclass`,
              [pid],
            )
          ).rowCount! > 0,
        10_000,
        'the batch to wait for its SHARE lock on legal_holds',
        25,
      );
      // A claimed row gets a new version (committed) before the batch deletes; no hold appears.
      await t.asOwner(`UPDATE loan_applications SET purpose = 'changed' WHERE id = 'chg-3'`);
      await placer.query('ROLLBACK');
      const r = (await batch).rows[0]!.r;
      await purgerClient.query('COMMIT');
      expect(r).toMatchObject({ claimed: 6, purged: 5, held_late: 0 });
    } finally {
      await purgerClient.end();
      await placer.end();
    }
    const kept = (await t.asOwner<{ id: string }>(`SELECT id FROM loan_applications ORDER BY id`)).rows;
    expect(kept.map((k) => k.id)).toEqual(['app-007', 'chg-3']);
    const [rec] = await batchRecords(writer, 'dv-changed');
    const deleted = before.filter((b) => b.id !== 'chg-3');
    expect(rec).toMatchObject({ purged: 5, firstKey: 'chg-1', lastKey: 'chg-6', digestVersion: 3 });
    expect(rec!.digest).toBe(batchDigestV3(deleted.map((b) => b.form)));
  });
});
