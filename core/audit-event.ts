import { z } from 'zod';
import { JsonObjectSchema } from './json-value';
import { STREAM_NAME } from './stream-name';

export { describeZodError } from './zod-issues';
export { STREAM_NAME } from './stream-name';

/** Version of the event envelope below; bump only with a migration path for verifiers. */
export const AUDIT_SCHEMA_VERSION = 1;

const id = (max: number) => z.string().trim().min(1).max(max);

export const ActorSchema = z
  .object({
    type: z.enum(['user', 'service', 'workflow', 'schedule', 'system']),
    id: id(200),
  })
  .strict();

export const ResourceSchema = z.object({ type: id(100), id: id(300) }).strict();

/** Where the event came from. Cross-links the ledger to Temporal's history. */
export const EventContextSchema = z
  .object({
    workflow_id: id(300),
    run_id: id(100),
    workflow_type: id(200),
    activity_id: id(200),
    activity_type: id(200),
    step: id(200),
    attempt: z.number().int().positive(),
    correlation_id: id(200),
    /** The principal whose authorized start this workflow event acts for (activities only). */
    initiated_by: id(200),
    request: z
      .object({
        source: z.enum(['cli', 'api', 'worker', 'schedule', 'script']),
        request_id: id(200).optional(),
        ip: id(100).optional(),
        user_agent: id(500).optional(),
      })
      .strict(),
  })
  .partial()
  .strict();

/**
 * What callers submit. Everything except `payload` becomes permanent and hash-committed, so
 * personal data (names, addresses, before/after values, provider responses) goes only in
 * `payload`, which retention can purge without breaking the chain.
 */
export const AuditEventInputSchema = z
  .object({
    event_id: z.string().uuid().optional(),
    event_type: z
      .string()
      .regex(
        /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/,
        'must be dotted lower_snake_case, e.g. "loan.decision_made"',
      )
      .max(120),
    actor: ActorSchema,
    resource: ResourceSchema,
    action: id(100),
    outcome: z.enum(['success', 'denied', 'error']),
    subject_id: id(200).nullish(),
    case_id: id(200).nullish(),
    context: EventContextSchema.default({}),
    schema_version: z.literal(AUDIT_SCHEMA_VERSION).default(AUDIT_SCHEMA_VERSION),
    payload: JsonObjectSchema.default({}),
  })
  .strict();

/** {@link AuditEventInputSchema} without `payload`: the append path checks a plain JSON payload without zod. */
export const AuditEnvelopeInputSchema = AuditEventInputSchema.omit({ payload: true });

export type AuditEventInput = z.input<typeof AuditEventInputSchema>;
export type AuditEventParsed = z.output<typeof AuditEventInputSchema>;
export type Actor = z.infer<typeof ActorSchema>;
export type EventContext = z.infer<typeof EventContextSchema>;

export const StreamSchema = z
  .string()
  .regex(STREAM_NAME, 'stream must be 1-63 chars of a-z, 0-9, "_", "." or "-"')
  .default('default');

export const IdempotencyKeySchema = z.string().min(1).max(500);

/**
 * The hash-committed part of a stored event: the envelope without its payload, plus where it
 * sits in the ledger. `occurred_at` is the database clock in microsecond ISO form.
 */
export interface CommittedEvent {
  stream: string;
  seq: number;
  event_id: string;
  event_type: string;
  actor: Actor;
  occurred_at: string;
  resource: { type: string; id: string };
  action: string;
  outcome: 'success' | 'denied' | 'error';
  subject_id: string | null;
  case_id: string | null;
  context: EventContext;
  schema_version: number;
  idempotency_key: string;
}

/** A ledger event as read back: the committed envelope, its chain fields and (unless purged) its payload. */
export interface StoredEvent extends CommittedEvent {
  payload: Record<string, unknown> | null;
  payload_digest: string;
  prev_hash: string;
  hash: string;
}
