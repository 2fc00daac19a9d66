import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { MAX_NAME_LENGTH, validateName } from '../../core/screening/normalize';
import { describeZodError } from '../../core/zod-issues';
import { InputError } from '../../runtime/errors';
import type { ScreeningService } from '../../services/screening';
import { screeningResultJson } from '../../services/screening/result-json';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Body of `POST /v1/screen`. */
export const ScreenBodySchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
      .refine((s) => !CONTROL.test(s), 'must not contain control characters'),
    type: z.enum(['person', 'organization', 'vessel', 'aircraft']).optional(),
    birthDate: z
      .string()
      .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, 'must be YYYY, YYYY-MM or YYYY-MM-DD')
      .optional(),
    country: z.string().trim().min(1).max(100).optional(),
  })
  .strict();
export type ScreenBody = z.infer<typeof ScreenBodySchema>;

export interface ScreenRouteDeps {
  screening: ScreeningService;
  /** Authorisation of the caller (the server's `authorize(principal, 'screen')`); it sets `req.principal`. */
  preHandler: preHandlerHookHandler;
}

/**
 * Registers `POST /v1/screen`: one name screened against the active lists, answered with the
 * hits `screen name --json` prints. Every call is stored and recorded in the ledger by the
 * screening service (event `screening.name_screened`, actor = the calling principal).
 */
export function registerScreenRoute(app: FastifyInstance, deps: ScreenRouteDeps): void {
  app.post('/v1/screen', { preHandler: deps.preHandler }, async (req, reply) => {
    const body = ScreenBodySchema.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: describeZodError(body.error) });
    const bad = validateName(body.data.name);
    if (bad) return reply.code(400).send({ error: `name: ${bad}` });
    const principal = (req as { principal?: { id: string } }).principal;
    // The preHandler authenticated the caller; no principal means no screening (never an invented actor).
    if (!principal) return reply.code(401).send({ error: 'missing, unknown or revoked API key' });
    try {
      const result = await deps.screening.screenName({
        name: body.data.name,
        kind: body.data.type,
        dob: body.data.birthDate,
        country: body.data.country,
        actor: { type: 'user', id: principal.id },
        context: { request: { source: 'api', request_id: req.id } },
      });
      return screeningResultJson(result);
    } catch (err) {
      if (err instanceof InputError) return reply.code(409).send({ error: err.message });
      throw err;
    }
  });
}
