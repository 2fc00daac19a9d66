import type { Client } from '@temporalio/client';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { describeZodError } from '../../core/zod-issues';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import {
  caseProvenance,
  explainAlert,
  explainScreening,
  verificationRuns,
  workflowProvenance,
} from '../../services/events/explain';
import { FilterText } from '../../services/events/filter';
import { answerRead } from '../read-log';

const IdSchema = z.object({ id: FilterText(300) }).strict();

/** `GET /v1/verification/runs` query. */
export const RunsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(20),
    before_seq: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

export interface ProvenanceRoutesDeps {
  reader: Database;
  ledger: Ledger;
  /** Live histories come from Temporal; without it only archived histories are joined. */
  client?: Client;
  preHandlers: { audit: preHandlerHookHandler; alerts: preHandlerHookHandler };
}

/**
 * Registers provenance, explanations and verification (each answer a recorded read):
 * - `GET /v1/provenance/workflows/:id`, `GET /v1/provenance/cases/:id`: joined timelines;
 * - `GET /v1/explanations/screening/:id`, `GET /v1/explanations/alerts/:id`: the hits or the
 *   rule trace with every ledger event about them;
 * - `GET /v1/verification/runs`: status and history of chain verification runs.
 */
export function registerProvenanceRoutes(app: FastifyInstance, deps: ProvenanceRoutesDeps): void {
  const idRoute = <T>(
    url: string,
    preHandler: preHandlerHookHandler,
    resourceType: string,
    load: (id: string) => Promise<T>,
    rows: (t: T) => number,
  ) =>
    app.get(url, { preHandler }, async (req, reply) => {
      const p = IdSchema.safeParse(req.params);
      if (!p.success) return reply.code(400).send({ error: describeZodError(p.error) });
      const body = await load(p.data.id);
      return answerRead(
        deps.ledger,
        req,
        reply,
        { action: 'view', resource: { type: resourceType, id: p.data.id }, filter: p.data, rows: rows(body) },
        body,
      );
    });
  const temporal = { db: deps.reader, client: deps.client };
  idRoute(
    '/v1/provenance/workflows/:id',
    deps.preHandlers.audit,
    'workflow_provenance',
    (id) => workflowProvenance(temporal, id),
    (t) => t.entries.length,
  );
  idRoute(
    '/v1/provenance/cases/:id',
    deps.preHandlers.audit,
    'case_provenance',
    (id) => caseProvenance(temporal, id),
    (c) => c.events.length,
  );
  idRoute(
    '/v1/explanations/screening/:id',
    deps.preHandlers.alerts,
    'screening_result',
    (id) => explainScreening(deps.reader, id),
    (x) => 1 + x.trace.length,
  );
  idRoute(
    '/v1/explanations/alerts/:id',
    deps.preHandlers.alerts,
    'monitoring_alert',
    (id) => explainAlert(deps.reader, id),
    (x) => 1 + x.trace.length,
  );
  app.get('/v1/verification/runs', { preHandler: deps.preHandlers.audit }, async (req, reply) => {
    const q = RunsQuerySchema.safeParse(req.query);
    if (!q.success) return reply.code(400).send({ error: describeZodError(q.error) });
    const runs = await verificationRuns(deps.reader, { limit: q.data.limit, beforeSeq: q.data.before_seq });
    return answerRead(
      deps.ledger,
      req,
      reply,
      {
        action: 'search',
        resource: { type: 'verification_runs', id: 'list' },
        filter: q.data,
        rows: runs.runs.length,
      },
      runs,
    );
  });
}
