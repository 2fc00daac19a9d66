import { createHash } from 'node:crypto';
import { z } from 'zod';
import { STREAM_NAME } from '../../core/audit-event';
import { canonicalJson } from '../../core/canonical-json';

// PostgreSQL text cannot hold NUL; other control characters are never part of an id or a name.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A filter value compared by equality: 1..max characters, no control characters. */
export const FilterText = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must not contain lone surrogates');

/** A full-text query: at least one letter or digit once punctuation is dropped. */
const SearchText = FilterText(200).refine(
  (s) => /[\p{L}\p{N}]/u.test(s),
  'needs at least one letter or digit',
);

/** An ISO-8601 instant with an offset or Z, in years 1..9999 (PostgreSQL's and JS's common range). */
const Instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 time with offset, e.g. 2026-03-01T00:00:00Z' })
  .refine((s) => {
    const t = Date.parse(s);
    return Number.isFinite(t) && t >= Date.UTC(1, 0, 1) && t < Date.UTC(10000, 0, 1);
  }, 'must be between years 1 and 9999');

/** Largest page an API caller may ask for. */
export const MAX_PAGE = 1000;

/** The members of {@link EventFilterSchema}, for schemas that add their own (search, export). */
export const filterShape = {
  /** Inclusive lower bound on occurred_at. */
  from: Instant.optional(),
  /** Exclusive upper bound on occurred_at. */
  to: Instant.optional(),
  stream: z.string().regex(STREAM_NAME, 'must be 1-63 chars of a-z, 0-9, "_", "." or "-"').optional(),
  actor: FilterText(200).optional(),
  actor_type: z.enum(['user', 'service', 'workflow', 'schedule', 'system']).optional(),
  action: FilterText(120).optional(),
  resource_type: FilterText(120).optional(),
  resource: FilterText(300).optional(),
  outcome: z.enum(['success', 'denied', 'error']).optional(),
  event_type: FilterText(120).optional(),
  subject_id: FilterText(200).optional(),
  case_id: FilterText(200).optional(),
  workflow_id: FilterText(300).optional(),
  /** Full-text search over the non-personal envelope fields (type, action, outcome, actor, resource). */
  q: SearchText.optional(),
  /** Full-text search over payload text (indexed only in the payload table; purged payloads drop out). */
  payload_text: SearchText.optional(),
};
/** `from` must be before `to`: a refinement each schema built on {@link filterShape} applies. */
export const timeOrder = {
  check: (f: { from?: string; to?: string }) => !(f.from && f.to) || Date.parse(f.from) < Date.parse(f.to),
  params: { message: 'must be before to', path: ['from'] },
};

/**
 * What an auditor may filter events by; all optional and combined with AND. Unknown members are
 * refused. Equality filters are exact (no LIKE, no regex): metacharacters are plain characters.
 */
export const EventFilterSchema = z.object(filterShape).strict().refine(timeOrder.check, timeOrder.params);
export type EventFilter = z.infer<typeof EventFilterSchema>;

/** A page request: the filter, its order, the page size and the cursor of the previous page. */
export const EventSearchSchema = z
  .object({
    ...filterShape,
    order: z.enum(['asc', 'desc']).default('asc'),
    limit: z.coerce
      .number({ message: 'must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_PAGE, `must be at most ${MAX_PAGE}`)
      .default(100),
    cursor: z.string().max(400, 'is not a cursor of this API').optional(),
  })
  .strict()
  .refine(timeOrder.check, timeOrder.params);
export type EventSearch = z.infer<typeof EventSearchSchema>;

/** The filter part of a search (without order, page size and cursor). */
export function filterOf(s: EventSearch): EventFilter {
  const { order: _o, limit: _l, cursor: _c, ...filter } = s;
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as EventFilter;
}

/** A short digest naming a filter and its order: cursors are bound to it. */
export function filterDigest(filter: EventFilter, order: string): string {
  return createHash('sha256').update(canonicalJson({ filter, order })).digest('hex').slice(0, 16);
}
