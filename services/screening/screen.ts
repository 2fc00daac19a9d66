import { randomUUID } from 'node:crypto';
import { MATCHER_VERSION } from '../../core/screening/config';
import { validateName } from '../../core/screening/normalize';
import type { ScreeningQuery } from '../../core/screening/types';
import { InputError } from '../../runtime/errors';
import type { LoadedIndex } from './active-index';
import type { Screening } from './deps';
import { exceptionsFor, screenAgainst } from './exceptions';
import { subjectKeyOf } from './ids';
import { persistResults } from './results';
import type { ScreeningResult, ScreenNameInput } from './types';

/** The index over the active lists; refuses when no list is loaded. */
export async function requireLoadedIndex(s: Screening): Promise<LoadedIndex> {
  const loaded = await s.index.current();
  if (loaded.versions.length === 0)
    throw new InputError('no sanctions list is loaded; run "ledgerflow lists load PATH|URL" first');
  return loaded;
}

/** Screens one name against the active lists; stores the result and records it in the ledger. */
export async function screenName(s: Screening, input: ScreenNameInput): Promise<ScreeningResult> {
  const bad = validateName(input.name);
  if (bad) throw new InputError(bad);
  const loaded = await requireLoadedIndex(s);
  const query: ScreeningQuery = {
    name: input.name,
    dob: input.dob,
    country: input.country,
    kind: input.kind,
  };
  const key = subjectKeyOf(input.subjectId, input.name);
  const { decision, hits } = screenAgainst(loaded, query, key, await exceptionsFor(s, [key]));
  const result: ScreeningResult = {
    id: input.resultId ?? randomUUID(),
    subjectId: input.subjectId,
    query,
    decision,
    hits,
    listVersions: loaded.versions,
    matcherVersion: MATCHER_VERSION,
    thresholds: s.matcher.thresholds,
  };
  await persistResults(s, input, [result]);
  s.ledger.metrics?.screeningNames.inc({ decision });
  return result;
}
