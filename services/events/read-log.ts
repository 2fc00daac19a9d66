import { randomUUID } from 'node:crypto';
import type { Ledger } from '../../ledger/ledger';
import type { AppendResult } from '../../ledger/append';

/** The stream where every read of audit data is recorded (as denials are). */
export const ACCESS_STREAM = 'access';

/** One read of audit data: who, what kind, what (filter or id), how many rows came back. */
export interface ReadRecord {
  principalId: string;
  /** `search`, `view`, `prove`, `export`, `explain`, `provenance`, ... */
  action: string;
  /** What was read, e.g. `{type: 'ledger_events', id: 'search'}` or `{type: 'ledger_event', id: 'loan:12'}`. */
  resource: { type: string; id: string };
  /** The filter or parameters as given (in the payload: a search text may name a person). */
  filter: Record<string, unknown>;
  rows: number;
  request: { requestId: string; ip?: string; source: 'api' | 'cli' };
}

/**
 * Records a read in the ledger (stream `access`, event `api.ledger_read`) and resolves only once
 * it is committed: callers send the data after this returns and fail the read when it throws
 * (PCI DSS 10.2.1.3: access to audit logs is itself logged). One database round trip (the
 * one-trip append): it sits on every read's critical path.
 */
export function recordRead(ledger: Ledger, r: ReadRecord): Promise<AppendResult> {
  return ledger.appendOneTrip(
    {
      event_type: 'api.ledger_read',
      actor: { type: 'user', id: r.principalId },
      resource: r.resource,
      action: r.action,
      outcome: 'success',
      context: {
        request: {
          source: r.request.source,
          request_id: r.request.requestId,
          ...(r.request.ip ? { ip: r.request.ip } : {}),
        },
      },
      payload: { filter: r.filter, rows: r.rows } as unknown as Record<string, never>,
    },
    { stream: ACCESS_STREAM, idempotencyKey: `read:${r.request.requestId}:${randomUUID()}` },
  );
}
