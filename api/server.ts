import type { Tracer } from '@opentelemetry/api';
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseStrictJson } from '../core/canonical-json';
import { describeZodError, StreamSchema, type AuditEventInput } from '../core/audit-event';
import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import { LedgerValidationError } from '../ledger/errors';
import { authenticate, eventTypeGranted, type ApiPrincipal } from '../services/principals/api-keys';
import { authorize, isOwnStream, PrincipalError, type Action } from '../services/principals/authorization';
import { recordDenial } from '../services/principals/denials';
import { registerAlertRoutes } from './routes/alerts';
import { registerScreenRoute } from './routes/screen';
import { registerEventRoutes } from './routes/events';
import { registerConsoleRoutes, type ConsoleOptions } from './console';
import { registerLoanRoutes, type LoanRouteDeps } from './routes/loans';
import { registerProvenanceRoutes } from './routes/provenance';
import { registerExportRoutes } from './routes/exports';
import { openApiDocument } from './openapi';
import type { Signer } from '../core/signing';
import { InputError } from '../runtime/errors';
import { EventNotFoundError, NotYetSignedError } from '../services/events/proof';
import { createScreeningService } from '../services/screening';
import type { MatcherConfig } from '../core/screening/config';
import type { LedgerflowMetrics } from '../runtime/metrics';
import type { Logger } from '../runtime/logging';
import { traceRequests } from './request-spans';
import { SharedLookups } from './shared-lookups';

export interface ApiDeps {
  /** Pool as ledgerflow_reader: every read. */
  reader: Database;
  /** Pool as ledgerflow_writer: appends by emitters and the access log of auditors. */
  writer: Database;
  /** The ledger over `writer`. */
  ledger: Ledger;
  /** Screening thresholds and scorer for `POST /v1/screen` (`loadConfig().screening`); default the matcher's. */
  screeningMatcher?: MatcherConfig;
  /** Counts requests and serves `GET /metrics`; default a registry of the ledger's, else none counted. */
  metrics?: LedgerflowMetrics;
  /** JSON request log (one line per answered request: route pattern, status, time); default none. */
  logger?: Logger;
  /** Traces each request and, through pools given the same tracer, its SQL; default none. */
  tracer?: Tracer;
  /** The auditor console at `/` (docs/console.md): Temporal Web UI link settings. */
  console?: ConsoleOptions;
  /** Signs filtered-export manifests (the ledger's checkpoint key); without it exports answer 503. */
  signer?: Signer;
  /** Temporal for loan origination over HTTP; without it those routes answer 503. */
  temporal?: LoanRouteDeps['temporal'];
}

/** Body of `POST /v1/events`. */
export const AppendBodySchema = z
  .object({
    stream: StreamSchema,
    idempotency_key: z.string().min(1).max(500),
    event: z.record(z.string(), z.unknown()),
  })
  .strict();

/**
 * What authorizes each API route: an action checked by authorize() for the key's principal, or
 * `public` (no data). test/authorization-matrix.test.ts fails when a route has no entry.
 */
export const ROUTE_AUTHORITY = {
  'GET /health': 'public',
  'GET /openapi.json': 'public',
  // The auditor console's page, script, style and settings: no data (docs/console.md).
  'GET /': 'public',
  'GET /console/app.js': 'public',
  'GET /console/app.css': 'public',
  'GET /console/config.json': 'public',
  'GET /v1/events': 'audit.read',
  'GET /v1/events/:stream/:seq': 'audit.read',
  'GET /v1/ledger/head': 'audit.read',
  'GET /v1/ledger/heads': 'audit.read',
  'GET /v1/ledger/keys': 'audit.read',
  'GET /v1/exports/events': 'audit.export',
  'GET /v1/provenance/workflows/:id': 'audit.read',
  'GET /v1/provenance/cases/:id': 'audit.read',
  'GET /v1/verification/runs': 'audit.read',
  'GET /v1/explanations/screening/:id': 'alerts.read',
  'GET /v1/explanations/alerts/:id': 'alerts.read',
  'POST /v1/events': 'events.emit',
  'GET /v1/alerts': 'alerts.read',
  'GET /v1/alerts/:id': 'alerts.read',
  'POST /v1/screen': 'screening.run',
  'POST /v1/loan-applications': 'loan.submit',
  'GET /v1/loan-applications/:id': 'loan.read',
  'POST /v1/loan-applications/:id/review': 'loan.review',
  // Not public: the API is the one published service, and metrics name streams and their volumes.
  // Operational state is what posture.check covers (admin, compliance, auditor keys).
  'GET /metrics': 'posture.check',
} as const satisfies Record<string, Action | 'public'>;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiPrincipal;
    /** The key check still running while the handler queries (requireActionOverlapped). */
    pendingAuth?: Promise<ApiPrincipal>;
  }
}

/**
 * The auditor HTTP API. Every route needs `Authorization: Bearer <key>`; each key carries one
 * role. Reads are themselves recorded in the ledger (who looked at what, when).
 */
export function buildApiServer(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 512 * 1024 });
  app.setErrorHandler(errorReply);
  // I-JSON bodies: a duplicated member, lone surrogate or unsafe integer is a 400 naming the field.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseStrictJson(body as string));
    } catch (err) {
      done(Object.assign(new Error(`invalid JSON body: ${(err as Error).message}`), { statusCode: 400 }));
    }
  });

  const deny = async (req: FastifyRequest, reply: FastifyReply, err: PrincipalError) => {
    // The refusal stands even when recording it fails (the in-memory count still grows).
    await recordDenial(deps.ledger, err, { channel: 'api', ip: req.ip, requestId: req.id }).catch(
      () => undefined,
    );
    const authenticated = err.kind === 'forbidden' || err.kind === 'inactive';
    return reply.code(authenticated ? 403 : 401).send({ error: err.message });
  };

  const presentedKey = (req: FastifyRequest) => {
    const header = req.headers.authorization;
    return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  };
  // Concurrent requests with one key share key-check statements (16 callers: ~1 each, not 16).
  const keyChecks = new SharedLookups((key) => authenticate(deps.reader, key));
  const check = async (req: FastifyRequest, action: Action): Promise<ApiPrincipal> => {
    const key = presentedKey(req);
    const principal =
      key === undefined ? await authenticate(deps.reader, key) : { ...(await keyChecks.get(key)) };
    authorize(principal, action);
    return principal;
  };
  // Keys that passed `action` here before (by presented key, bounded). Only a hint for
  // requireActionOverlapped: every request's key is still checked against the database.
  const passed = new Set<string>();
  const passedKey = (action: Action, req: FastifyRequest) =>
    `${action} ${createHash('sha256')
      .update(presentedKey(req) ?? '')
      .digest('base64')}`;
  const remember = (action: Action, req: FastifyRequest) => {
    if (passed.size >= 10_000) passed.clear();
    passed.add(passedKey(action, req));
  };

  /** 401 for a missing, unknown, revoked or expired key; 403 for a key whose role may not `action`. */
  const requireAction = (action: Action) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      req.principal = await check(req, action);
      remember(action, req);
    } catch (err) {
      if (err instanceof PrincipalError) return deny(req, reply, err);
      throw err;
    }
  };

  /**
   * As requireAction, but for a key that passed `action` here before the check runs while the
   * handler starts its query: the handler must call `settleAuth` before it uses the principal or
   * answers (a revoked key then gets its 401 and nothing else).
   */
  const requireActionOverlapped = (action: Action) => async (req: FastifyRequest, reply: FastifyReply) => {
    if (!passed.has(passedKey(action, req))) return requireAction(action)(req, reply);
    req.pendingAuth = check(req, action);
    req.pendingAuth.catch(() => undefined);
  };
  const settleAuth = async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    if (!req.pendingAuth) return true;
    try {
      req.principal = await req.pendingAuth;
      return true;
    } catch (err) {
      if (err instanceof PrincipalError) {
        passed.delete(passedKey('audit.read', req));
        await deny(req, reply, err);
        return false;
      }
      throw err;
    } finally {
      req.pendingAuth = undefined;
    }
  };

  app.get('/health', async () => ({ ok: true }));
  const openapi = openApiDocument(ROUTE_AUTHORITY, AppendBodySchema);
  app.get('/openapi.json', async () => openapi);
  registerConsoleRoutes(app, deps.console);

  const metrics = deps.metrics ?? deps.ledger.metrics;
  if (metrics) countRequests(app, metrics);
  if (deps.logger) logRequests(app, deps.logger);
  if (deps.tracer) traceRequests(app, deps.tracer);
  app.get('/metrics', { preHandler: requireAction(ROUTE_AUTHORITY['GET /metrics']) }, async (_req, reply) => {
    if (!metrics) return reply.code(404).send({ error: 'metrics are not enabled on this server' });
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  registerEventRoutes(app, {
    reader: deps.reader,
    ledger: deps.ledger,
    preHandler: requireAction(ROUTE_AUTHORITY['GET /v1/events']),
    searchPreHandler: requireActionOverlapped(ROUTE_AUTHORITY['GET /v1/events']),
    settleAuth,
  });

  registerScreenRoute(app, {
    screening: createScreeningService({
      db: deps.writer,
      ledger: deps.ledger,
      matcher: deps.screeningMatcher,
    }),
    preHandler: requireAction(ROUTE_AUTHORITY['POST /v1/screen']),
  });

  registerExportRoutes(app, {
    reader: deps.reader,
    ledger: deps.ledger,
    signer: deps.signer,
    preHandler: requireAction(ROUTE_AUTHORITY['GET /v1/exports/events']),
  });

  registerProvenanceRoutes(app, {
    reader: deps.reader,
    ledger: deps.ledger,
    client: deps.temporal?.client,
    preHandlers: {
      audit: requireAction(ROUTE_AUTHORITY['GET /v1/provenance/workflows/:id']),
      alerts: requireAction(ROUTE_AUTHORITY['GET /v1/explanations/alerts/:id']),
    },
  });

  registerLoanRoutes(app, {
    reader: deps.reader,
    writer: deps.writer,
    ledger: deps.ledger,
    temporal: deps.temporal,
    preHandlers: {
      submit: requireAction(ROUTE_AUTHORITY['POST /v1/loan-applications']),
      read: requireAction(ROUTE_AUTHORITY['GET /v1/loan-applications/:id']),
      review: requireAction(ROUTE_AUTHORITY['POST /v1/loan-applications/:id/review']),
    },
  });

  registerAlertRoutes(app, {
    reader: deps.reader,
    preHandler: requireAction(ROUTE_AUTHORITY['GET /v1/alerts']),
  });

  app.post(
    '/v1/events',
    { preHandler: requireAction(ROUTE_AUTHORITY['POST /v1/events']) },
    async (req, reply) => {
      const body = AppendBodySchema.safeParse(req.body);
      if (!body.success) return reply.code(400).send({ error: describeZodError(body.error) });
      const key = req.principal as ApiPrincipal;
      const event = body.data.event as AuditEventInput;
      const refusal = grantRefusal(key, body.data.stream, event);
      if (refusal) return deny(req, reply, new PrincipalError(refusal, 'forbidden', 'events.emit', key.id));
      const self = { type: 'service' as const, id: key.id };
      const claimed = event.actor as { type?: string; id?: string } | undefined;
      const delegated =
        claimed && (claimed.type !== self.type || claimed.id !== self.id) ? claimed : undefined;
      const payload = delegated
        ? { ...((event.payload as object | undefined) ?? {}), on_behalf_of: delegated }
        : event.payload;
      const context = {
        ...((event.context as object) ?? {}),
        request: { source: 'api' as const, request_id: req.id },
      };
      try {
        const r = await deps.ledger.append(
          { ...event, actor: self, payload, context },
          {
            stream: body.data.stream,
            idempotencyKey: `api:${key.id}:${body.data.idempotency_key}`,
          },
        );
        return reply.code(r.created ? 201 : 200).send(r);
      } catch (err) {
        if (err instanceof LedgerValidationError) return reply.code(400).send({ error: err.message });
        throw err;
      }
    },
  );

  return app;
}

/**
 * One JSON error line per failure, never a stack: known refusals map to their status, fastify's
 * own client errors (bad JSON, wrong content type, body too large) keep theirs, anything else is
 * a 500 without detail.
 */
function errorReply(err: Error & { statusCode?: number }, _req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof InputError || err instanceof LedgerValidationError)
    return reply.code(400).send({ error: err.message });
  if (err instanceof EventNotFoundError) return reply.code(404).send({ error: err.message });
  if (err instanceof NotYetSignedError) return reply.code(409).send({ error: err.message });
  if (err instanceof PrincipalError) return reply.code(403).send({ error: err.message });
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
  return reply.code(500).send({ error: 'internal error' });
}

/** Counts every answered request by method, route pattern (never the raw URL) and status. */
function countRequests(app: FastifyInstance, m: LedgerflowMetrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const labels = {
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    m.apiRequests.inc(labels);
    m.apiRequestSeconds.observe(labels, reply.elapsedTime / 1000);
  });
}

/**
 * Logs every answered request by route pattern, never the raw URL (its query string can name
 * people or accounts), headers (the key) or bodies; a failed request by its error's class only.
 */
function logRequests(app: FastifyInstance, logger: Logger): void {
  app.addHook('onError', async (req, _reply, err) => {
    logger.error(
      { requestId: req.id, route: req.routeOptions.url ?? 'unmatched', errorClass: err.name },
      'request failed',
    );
  });
  app.addHook('onResponse', async (req, reply) => {
    logger.info(
      {
        requestId: req.id,
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
}

/**
 * Why an emitter key may not append this event, or undefined when it may: the stream and the
 * event type must be granted to the key, never one of ledgerflow's own streams, and naming an
 * actor other than the key's principal needs a delegation grant (recorded as `on_behalf_of`).
 */
export function grantRefusal(
  key: ApiPrincipal,
  stream: string,
  event: Record<string, unknown>,
): string | undefined {
  if (isOwnStream(stream)) return `stream "${stream}" is ledgerflow's own; only its services append there`;
  if (!key.streams.includes(stream)) return `this key may not append to stream "${stream}"`;
  const type = typeof event.event_type === 'string' ? event.event_type : '';
  if (!eventTypeGranted(key.eventTypes, type)) return `this key may not append events of type "${type}"`;
  const actor = event.actor as { type?: unknown; id?: unknown } | undefined;
  const isSelf = !actor || (actor.type === 'service' && actor.id === key.id);
  if (!isSelf && !key.mayDelegate)
    return 'this key may not act on behalf of another actor (no delegation grant)';
  return undefined;
}
