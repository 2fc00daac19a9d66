import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseStrictJson } from '../core/canonical-json';
import { describeZodError, StreamSchema, type AuditEventInput } from '../core/audit-event';
import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import { LedgerValidationError } from '../ledger/errors';
import { EventQuerySchema, queryEvents } from '../ledger/query';
import { authenticate, type ApiPrincipal, type ApiRole } from '../services/principals/api-keys';

export interface ApiDeps {
  /** Pool as ledgerflow_reader: every read. */
  reader: Database;
  /** Pool as ledgerflow_writer: appends by emitters and the access log of auditors. */
  writer: Database;
  /** The ledger over `writer`. */
  ledger: Ledger;
}

const AppendBodySchema = z
  .object({
    stream: StreamSchema,
    idempotency_key: z.string().min(1).max(500),
    event: z.record(z.string(), z.unknown()),
  })
  .strict();

declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiPrincipal;
  }
}

/**
 * The auditor HTTP API. Every route needs `Authorization: Bearer <key>`; each key carries one
 * role. Reads are themselves recorded in the ledger (who looked at what, when).
 */
export function buildApiServer(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 512 * 1024 });
  // I-JSON bodies: a duplicated member, lone surrogate or unsafe integer is a 400 naming the field.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseStrictJson(body as string));
    } catch (err) {
      done(Object.assign(new Error(`invalid JSON body: ${(err as Error).message}`), { statusCode: 400 }));
    }
  });

  const requireRole = (role: ApiRole) => async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    const principal = await authenticate(
      deps.reader,
      header?.startsWith('Bearer ') ? header.slice(7) : undefined,
    );
    if (!principal) return reply.code(401).send({ error: 'missing, unknown or revoked API key' });
    if (principal.role !== role)
      return reply
        .code(403)
        .send({ error: `this key has role "${principal.role}"; this route needs "${role}"` });
    req.principal = principal;
  };

  const logAccess = (req: FastifyRequest, action: string, resourceId: string) =>
    deps.ledger.append(
      {
        event_type: 'api.ledger_read',
        actor: { type: 'user', id: req.principal?.principalId ?? 'unknown' },
        resource: { type: 'ledger_stream', id: resourceId },
        action,
        outcome: 'success',
        context: { request: { source: 'api', request_id: req.id, ip: req.ip } },
        payload: { query: req.query as Record<string, string> },
      },
      { idempotencyKey: `api-read:${randomUUID()}` },
    );

  app.get('/health', async () => ({ ok: true }));

  app.get('/v1/events', { preHandler: requireRole('auditor') }, async (req, reply) => {
    const q = EventQuerySchema.safeParse(req.query);
    if (!q.success) return reply.code(400).send({ error: describeZodError(q.error) });
    const events = await queryEvents(deps.reader, q.data);
    await logAccess(req, 'query', q.data.stream);
    const last = events.at(-1);
    return { events, next_after_seq: events.length === q.data.limit && last ? last.seq : null };
  });

  app.post('/v1/events', { preHandler: requireRole('emitter') }, async (req, reply) => {
    const body = AppendBodySchema.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: describeZodError(body.error) });
    const event = body.data.event as AuditEventInput;
    const context = {
      ...((event.context as object) ?? {}),
      request: { source: 'api' as const, request_id: req.id },
    };
    try {
      const r = await deps.ledger.append(
        { ...event, context },
        {
          stream: body.data.stream,
          idempotencyKey: `api:${req.principal?.principalId}:${body.data.idempotency_key}`,
        },
      );
      return reply.code(r.created ? 201 : 200).send(r);
    } catch (err) {
      if (err instanceof LedgerValidationError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });

  return app;
}
