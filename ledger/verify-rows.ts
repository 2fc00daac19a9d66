import type { CommittedEvent } from '../core/audit-event';
import { formatMicros } from '../core/time';
import type { VerifyRow } from './verify-engine';

/** One page row of {@link pages}, in column order. */
export type Row = [
  seq: number,
  eventId: string,
  eventType: string,
  actorType: string,
  actorId: string,
  occurredUs: string,
  resourceType: string,
  resourceId: string,
  action: string,
  outcome: string,
  subjectId: string | null,
  caseId: string | null,
  context: Record<string, unknown>,
  schemaVersion: number,
  idempotencyKey: string,
  payloadDigest: Buffer,
  prevHash: Buffer,
  hash: Buffer,
  salt: Buffer | null,
  payload: unknown,
  purged: boolean,
];

let lastMicros = '';
let lastOccurred = '';

/** `formatMicros`, remembering the last one: the rows of one append batch share their timestamp. */
export function occurredAt(micros: string): string {
  if (micros !== lastMicros) {
    lastOccurred = formatMicros(micros);
    lastMicros = micros;
  }
  return lastOccurred;
}

/** Turns a page row into the verifier's shape, recomputing `occurred_at` from stored microseconds. */
export function toVerifyRow(stream: string, r: Row): VerifyRow {
  const event: CommittedEvent = {
    stream,
    seq: Number(r[0]),
    event_id: r[1],
    event_type: r[2],
    actor: { type: r[3] as CommittedEvent['actor']['type'], id: r[4] },
    occurred_at: occurredAt(r[5]),
    resource: { type: r[6], id: r[7] },
    action: r[8],
    outcome: r[9] as CommittedEvent['outcome'],
    subject_id: r[10],
    case_id: r[11],
    context: r[12],
    schema_version: r[13],
    idempotency_key: r[14],
  };
  return {
    event,
    payloadDigest: r[15],
    prevHash: r[16],
    hash: r[17],
    salt: r[18],
    payload: r[19],
    purged: r[20],
  };
}
