import type { AuditEventInput } from '../../core/audit-event';
import { screeningResults } from '../../db/schema';
import { screeningEvent, type Screening } from './deps';
import { SCREENING_STREAM, type CallContext, type ScreeningResult } from './types';

function resultEvent(s: Screening, call: CallContext, r: ScreeningResult, batchId?: string): AuditEventInput {
  return screeningEvent(s, call, {
    event_type: 'screening.name_screened',
    resource: { type: 'screening_result', id: r.id },
    action: 'screen',
    outcome: 'success',
    subject_id: r.subjectId ?? null,
    case_id: batchId ?? null,
    payload: {
      query: { ...r.query },
      decision: r.decision,
      top_hits: r.hits
        .slice(0, 5)
        .map((h) => ({ ...h, explanation: { ...h.explanation } })) as unknown as Record<string, never>[],
      hit_count: r.hits.length,
      list_versions: r.listVersions.map((v) => ({ ...v })),
      matcher_version: r.matcherVersion,
      thresholds: { ...r.thresholds },
      ...(batchId ? { batch_id: batchId, row: r.row ?? null } : {}),
    },
  });
}

/**
 * Records screening results: ledger first, then the result row carrying its ledger seq
 * (results are insert-only for the app). A retry after a crash finds the same events
 * (idempotency keys) and skips stored rows.
 */
export async function persistResults(
  s: Screening,
  call: CallContext,
  results: ScreeningResult[],
  batchId?: string,
): Promise<void> {
  if (results.length === 0) return;
  const appended = await s.ledger.appendMany(
    results.map((r) => ({
      event: resultEvent(s, call, r, batchId),
      idempotencyKey: `screening-result:${r.id}`,
    })),
    { stream: SCREENING_STREAM },
  );
  await s.db
    .insert(screeningResults)
    .values(
      results.map((r, i) => ({
        id: r.id,
        batchId: batchId ?? null,
        rowNumber: r.row ?? null,
        subjectId: r.subjectId ?? null,
        query: r.query,
        decision: r.decision,
        topScore: r.hits[0]?.score ?? null,
        hits: r.hits,
        listVersions: r.listVersions,
        matcherVersion: r.matcherVersion,
        thresholds: r.thresholds,
        ledgerSeq: appended[i]?.seq ?? null,
      })),
    )
    .onConflictDoNothing();
}
