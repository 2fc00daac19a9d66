import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { STREAM_NAME } from '../../core/audit-event';
import { formatTrustedKeys } from '../../core/signing';
import { describeZodError } from '../../core/zod-issues';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import { latestHead } from '../../ledger/head';
import { databaseKeys } from '../../ledger/verify';
import { EventSearchSchema } from '../../services/events/filter';
import { headView, listHeads, proveEvent } from '../../services/events/proof';
import { searchEvents } from '../../services/events/search';
import { answerRead } from '../read-log';

/** `GET /v1/events/:stream/:seq` path parameters. */
export const EventRefSchema = z
  .object({
    stream: z.string().regex(STREAM_NAME, 'must be 1-63 chars of a-z, 0-9, "_", "." or "-"'),
    seq: z.coerce
      .number({ message: 'must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(Number.MAX_SAFE_INTEGER, 'is too large'),
  })
  .strict();

/** `GET /v1/ledger/heads` query. */
export const HeadListSchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

export interface EventRoutesDeps {
  reader: Database;
  ledger: Ledger;
  /** The authorization hook for `audit.read`. */
  preHandler: preHandlerHookHandler;
  /** The same for the search, letting the key check of a known key overlap the query. */
  searchPreHandler: preHandlerHookHandler;
  /** Ends the overlapped key check: false when the request was refused (and answered). */
  settleAuth: (req: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
}

/**
 * Registers the auditor's event and proof routes. Every answer is recorded as a read in the
 * ledger first (see answerRead):
 * - `GET /v1/events`: search every stream (filters, full text, cursor pages);
 * - `GET /v1/events/:stream/:seq`: one event with its inclusion proof against the latest signed head;
 * - `GET /v1/ledger/head`, `GET /v1/ledger/heads`: signed ledger heads;
 * - `GET /v1/ledger/keys`: the public keys the database holds (served, not pinned).
 */
export function registerEventRoutes(app: FastifyInstance, deps: EventRoutesDeps): void {
  const { preHandler } = deps;
  app.get('/v1/events', { preHandler: deps.searchPreHandler }, async (req, reply) => {
    const q = EventSearchSchema.safeParse(req.query);
    if (!q.success) {
      if (!(await deps.settleAuth(req, reply))) return reply;
      return reply.code(400).send({ error: describeZodError(q.error) });
    }
    const search = searchEvents(deps.reader, q.data);
    search.catch(() => undefined);
    if (!(await deps.settleAuth(req, reply))) return reply;
    const page = await search;
    return answerRead(
      deps.ledger,
      req,
      reply,
      {
        action: 'search',
        resource: { type: 'ledger_events', id: 'search' },
        filter: {
          ...page.filter,
          order: q.data.order,
          limit: q.data.limit,
          page: q.data.cursor ? 'next' : 'first',
        },
        rows: page.events.length,
      },
      { events: page.events, next_cursor: page.next_cursor },
    );
  });

  app.get('/v1/events/:stream/:seq', { preHandler }, async (req, reply) => {
    const p = EventRefSchema.safeParse(req.params);
    if (!p.success) return reply.code(400).send({ error: describeZodError(p.error) });
    const proven = await proveEvent(deps.reader, p.data);
    return answerRead(
      deps.ledger,
      req,
      reply,
      {
        action: 'view',
        resource: { type: 'ledger_event', id: `${p.data.stream}:${p.data.seq}` },
        filter: p.data,
        rows: 1,
      },
      proven,
    );
  });

  app.get('/v1/ledger/head', { preHandler }, async (req, reply) => {
    const head = await latestHead(deps.reader);
    if (!head)
      return reply
        .code(404)
        .send({ error: 'no signed ledger head yet (run "ledgerflow ledger checkpoint")' });
    return answerRead(
      deps.ledger,
      req,
      reply,
      { action: 'view', resource: { type: 'ledger_head', id: String(head.version) }, filter: {}, rows: 1 },
      headView(head),
    );
  });

  app.get('/v1/ledger/heads', { preHandler }, async (req, reply) => {
    const q = HeadListSchema.safeParse(req.query);
    if (!q.success) return reply.code(400).send({ error: describeZodError(q.error) });
    const page = await listHeads(deps.reader, q.data);
    return answerRead(
      deps.ledger,
      req,
      reply,
      {
        action: 'search',
        resource: { type: 'ledger_heads', id: 'list' },
        filter: q.data,
        rows: page.heads.length,
      },
      page,
    );
  });

  app.get('/v1/ledger/keys', { preHandler }, async (req, reply) => {
    const keys = [...(await databaseKeys(deps.reader)).values()];
    return answerRead(
      deps.ledger,
      req,
      reply,
      { action: 'view', resource: { type: 'signing_keys', id: 'all' }, filter: {}, rows: keys.length },
      {
        pinned: false,
        note: 'served by this API from its database: NOT a trust anchor. Compare with keys pinned or published elsewhere before trusting a signature.',
        keys: keys.map((k) => ({
          key_id: k.keyId,
          algorithm: 'ed25519',
          public_key: k.publicKey.toString('base64'),
        })),
        trusted_keys_file: formatTrustedKeys(keys),
      },
    );
  });
}
