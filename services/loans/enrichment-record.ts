import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { canonicalJson } from '../../core/canonical-json';
import { jsonDiff } from '../../core/json-diff';
import { LOAN_STREAM } from '../../core/loan';
import type { Database } from '../../db/client';
import { loanEnrichments } from '../../db/schema';
import type { Ledger } from '../../ledger/ledger';
import type { LoanStep } from './step';

/** Version tag of the standard enrichment record below. */
export const ENRICHMENT_RECORD_SCHEMA = 'ledgerflow.enrichment/v1';

/** The standard JSON enrichment record kept in `loan_enrichments.record`. */
export interface EnrichmentRecord {
  schema: typeof ENRICHMENT_RECORD_SCHEMA;
  applicationId: string;
  source: 'business_registry' | 'credit_bureau';
  provider: { name: string; reference: string };
  data: Record<string, unknown>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Stores the enrichment record; when it differs from the stored one, first appends one
 * business event with the before/after patch (idempotent key, so a retry after a crash
 * between the two writes neither loses nor duplicates it), then upserts the record.
 */
export async function storeEnrichmentRecord(
  { db, ledger }: { db: Database; ledger: Ledger },
  step: LoanStep,
  record: EnrichmentRecord,
): Promise<{ digest: string; version: number }> {
  const digest = sha256(canonicalJson(record));
  const [existing] = await db
    .select()
    .from(loanEnrichments)
    .where(
      and(eq(loanEnrichments.applicationId, record.applicationId), eq(loanEnrichments.source, record.source)),
    );
  if (existing && existing.recordDigest === digest) return { digest, version: existing.version };
  const before = existing?.record as EnrichmentRecord | undefined;
  const version = (existing?.version ?? 0) + 1;
  await ledger.appendOneTrip(
    {
      event_type: 'loan.enrichment_recorded',
      actor: step.actor,
      resource: { type: 'loan_application', id: record.applicationId },
      action: 'enrich',
      outcome: 'success',
      case_id: record.applicationId,
      context: step.auditContext(),
      payload: {
        source: record.source,
        provider: record.provider,
        version_before: existing?.version ?? null,
        version_after: version,
        digest_before: existing?.recordDigest ?? null,
        digest_after: digest,
        patch: jsonDiff(before?.data, record.data) as unknown as Record<string, never>[],
      },
    },
    {
      stream: LOAN_STREAM,
      idempotencyKey: step.businessKey(),
      // The record row commits with its event (one statement, one commit flush).
      project: {
        target: `loan_enrichments:${record.applicationId}:${record.source}`,
        sql: (p) =>
          `INSERT INTO loan_enrichments (application_id, source, version, record, record_digest, provider, provider_ref)
           VALUES (${p(record.applicationId)}, ${p(record.source)}, ${p(version)}, ${p(JSON.stringify(record))}::jsonb,
             ${p(digest)}, ${p(record.provider.name)}, ${p(record.provider.reference)})
           ON CONFLICT (application_id, source) DO UPDATE SET version = EXCLUDED.version, record = EXCLUDED.record,
             record_digest = EXCLUDED.record_digest, provider_ref = EXCLUDED.provider_ref, fetched_at = now()`,
      },
    },
  );
  return { digest, version };
}
