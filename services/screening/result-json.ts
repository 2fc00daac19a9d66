import type { Hit } from '../../core/screening/types';
import type { ScreeningResult } from './types';

/** One hit as `screen name --json` and `POST /v1/screen` print it. */
export function hitJson(h: Hit) {
  return {
    source: h.source,
    entryId: h.entryId,
    matchedName: h.matchedName,
    score: h.score,
    decision: h.decision,
    explanation: h.explanation,
  };
}

/** A screening result in the shape of `screen name --json`. */
export function screeningResultJson(r: ScreeningResult) {
  return {
    id: r.id,
    subjectId: r.subjectId ?? null,
    name: r.query.name,
    decision: r.decision,
    hits: r.hits.map(hitJson),
    listVersions: r.listVersions,
    matcherVersion: r.matcherVersion,
    thresholds: r.thresholds,
  };
}
