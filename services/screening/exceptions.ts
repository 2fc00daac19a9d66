import { randomUUID } from 'node:crypto';
import { asc, inArray } from 'drizzle-orm';
import type { Decision, Hit, ScreeningQuery } from '../../core/screening/types';
import { screeningExceptions } from '../../db/schema';
import { InputError } from '../../runtime/errors';
import type { LoadedIndex } from './active-index';
import { screeningEvent, type Screening } from './deps';
import { subjectKeyOf } from './ids';
import { SCREENING_STREAM, type ExceptionMap, type FalsePositiveInput } from './types';

const DECISION_RANK: Record<Decision, number> = { clear: 0, review: 1, block: 2 };

/** Exceptions in force for these subject keys: `subjectKey|source:entryId` -> exception. */
export async function exceptionsFor(s: Screening, keys: string[]): Promise<ExceptionMap> {
  const out: ExceptionMap = new Map();
  if (keys.length === 0) return out;
  const rows = await s.db
    .select()
    .from(screeningExceptions)
    .where(inArray(screeningExceptions.subjectKey, [...new Set(keys)]))
    .orderBy(asc(screeningExceptions.createdAt));
  for (const r of rows)
    out.set(`${r.subjectKey}|${r.source}:${r.entryId}`, {
      id: r.id,
      entryHash: r.entryHash,
      reason: r.reason,
    });
  return out;
}

/**
 * Screens one query against an index. A hit covered by a false-positive exception whose
 * entry is unchanged (same hash) is cleared, with the exception in its explanation.
 */
export function screenAgainst(
  loaded: LoadedIndex,
  q: ScreeningQuery,
  subjectKey: string,
  exceptions: ExceptionMap,
): { decision: Decision; hits: Hit[] } {
  const hits = loaded.index.screen(q);
  let decision: Decision = 'clear';
  for (const h of hits) {
    const ex = exceptions.get(`${subjectKey}|${h.source}:${h.entryId}`);
    if (ex && ex.entryHash === loaded.hashes.get(`${h.source}:${h.entryId}`)) {
      h.decision = 'clear';
      h.explanation.suppressedBy = { exceptionId: ex.id, reason: ex.reason };
    }
    if (DECISION_RANK[h.decision] > DECISION_RANK[decision]) decision = h.decision;
  }
  return { decision, hits };
}

/** Records that a hit is a false positive for a subject, honoured while the list entry keeps its hash. */
export async function recordFalsePositive(s: Screening, input: FalsePositiveInput) {
  if (!input.reason?.trim()) throw new InputError('a false-positive exception needs a reason');
  if (!input.subjectId && !input.name) throw new InputError('give the subject id or the screened name');
  const loaded = await s.index.current();
  const entryHash = loaded.hashes.get(`${input.source}:${input.entryId}`);
  if (!entryHash) throw new InputError(`no entry ${input.entryId} in the active ${input.source} list`);
  const subjectKey = subjectKeyOf(input.subjectId, input.name);
  const id = randomUUID();
  const r = await s.ledger.append(
    screeningEvent(s, input, {
      event_type: 'screening.false_positive_recorded',
      resource: { type: 'screening_exception', id },
      action: 'record_false_positive',
      outcome: 'success',
      subject_id: input.subjectId ?? null,
      payload: {
        subject_key: subjectKey,
        name: input.name ?? null,
        source: input.source,
        entry_id: input.entryId,
        entry_hash: entryHash,
        reason: input.reason,
        reviewer: input.reviewer,
      },
    }),
    { stream: SCREENING_STREAM, idempotencyKey: `false-positive:${id}` },
  );
  await s.db.insert(screeningExceptions).values({
    id,
    subjectKey,
    source: input.source,
    entryId: input.entryId,
    entryHash,
    reason: input.reason,
    reviewer: input.reviewer,
    ledgerSeq: r.seq,
  });
  return { id, subjectKey, source: input.source, entryId: input.entryId, entryHash, ledgerSeq: r.seq };
}
