import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { describeZodError } from '../../core/zod-issues';
import type { Database } from '../../db/client';
import { InputError } from '../../runtime/errors';
import { AlertQuerySchema, getAlert, listAlerts } from '../../services/monitoring';

/** What the alert routes need: a reader pool and the authorization hook the server chooses. */
export interface AlertRoutesDeps {
  reader: Database;
  preHandler: preHandlerHookHandler;
}

/**
 * Registers `GET /v1/alerts` (query: account, rule, mode, limit, cursor; answers
 * `{alerts, next_cursor}`) and `GET /v1/alerts/:id` (the alert with its trace, or 404).
 */
export function registerAlertRoutes(app: FastifyInstance, deps: AlertRoutesDeps): void {
  app.get('/v1/alerts', { preHandler: deps.preHandler }, async (req, reply) => {
    const q = AlertQuerySchema.safeParse(req.query);
    if (!q.success) return reply.code(400).send({ error: describeZodError(q.error) });
    try {
      return await listAlerts(deps.reader, q.data);
    } catch (err) {
      if (err instanceof InputError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });
  app.get<{ Params: { id: string } }>(
    '/v1/alerts/:id',
    { preHandler: deps.preHandler },
    async (req, reply) => {
      const a = await getAlert(deps.reader, req.params.id);
      if (!a) return reply.code(404).send({ error: `no alert ${req.params.id}` });
      return a;
    },
  );
}
