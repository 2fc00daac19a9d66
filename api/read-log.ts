import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ledger } from '../ledger/ledger';
import { recordRead } from '../services/events/read-log';

/** What one answered read was about: recorded in the ledger before the answer is sent. */
export interface ReadFacts {
  action: string;
  resource: { type: string; id: string };
  filter: Record<string, unknown>;
  rows: number;
}

/**
 * Records the read (principal, filter, row count) and only then sends `body`; when the record
 * cannot be committed the caller gets 503 and no data (PCI DSS 10.2.1.3).
 */
export async function answerRead(
  ledger: Ledger,
  req: FastifyRequest,
  reply: FastifyReply,
  facts: ReadFacts,
  body: unknown,
): Promise<FastifyReply> {
  try {
    await recordRead(ledger, {
      principalId: req.principal?.id ?? 'unknown',
      ...facts,
      request: { requestId: req.id, ip: req.ip, source: 'api' },
    });
  } catch {
    return reply
      .code(503)
      .send({ error: 'the read could not be recorded in the ledger; nothing was returned' });
  }
  return reply.send(body);
}
