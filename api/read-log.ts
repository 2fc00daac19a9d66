import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ledger } from '../ledger/ledger';
import { recordRead } from '../services/events/read-log';
import { callerOf } from './caller';

/** What one answered read was about: recorded in the ledger before the answer is sent. */
export interface ReadFacts {
  action: string;
  resource: { type: string; id: string };
  filter: Record<string, unknown>;
  rows: number;
}

const isPlainJson = (body: unknown) =>
  Array.isArray(body) ||
  (typeof body === 'object' && body !== null && Object.getPrototypeOf(body) === Object.prototype);

/**
 * The JSON text fastify would send for `body`, written in the next check phase of the event loop:
 * after the read record's statement went out (pg dispatches on nextTick), so the serialisation
 * runs while the database commits instead of after. Undefined: send `body` as it is (a stream,
 * or a reply with its own content type).
 */
function jsonBeside(reply: FastifyReply, body: unknown): Promise<string | undefined> {
  if (!isPlainJson(body) || reply.hasHeader('content-type')) return Promise.resolve(undefined);
  return new Promise((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve(JSON.stringify(body));
      } catch (err) {
        reject(err as Error);
      }
    }),
  );
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
  const recorded = recordRead(ledger, {
    principalId: callerOf(req).id,
    ...facts,
    request: { requestId: req.id, ip: req.ip, source: 'api' },
  });
  recorded.catch(() => undefined);
  const json = await jsonBeside(reply, body);
  try {
    await recorded;
  } catch {
    return reply
      .code(503)
      .send({ error: 'the read could not be recorded in the ledger; nothing was returned' });
  }
  return json === undefined ? reply.send(body) : reply.type('application/json; charset=utf-8').send(json);
}
