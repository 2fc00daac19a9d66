import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { ReviewDecisionSchema } from '../../contracts/loan-origination';
import { ApplicationIdSchema } from '../../core/loan';
import { describeZodError } from '../../core/zod-issues';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import {
  InvalidApplicationError,
  LoanStateError,
  getLoanStatus,
  parseApplicationFile,
  reviewLoan,
  startLoanApplication,
  type LoanRunOptions,
} from '../../services/loans/applications';
import { eventTypeGranted } from '../../services/principals/api-keys';
import { answerRead } from '../read-log';

/** The event-type grant an emitter key needs to start loan applications. */
export const LOAN_SUBMIT_GRANT = 'loan.application_received';

/** `POST /v1/loan-applications/:id/review` body (the reviewer is the key's principal). */
export const ReviewBodySchema = ReviewDecisionSchema.omit({ reviewerId: true }).strict();

const IdParamSchema = z.object({ id: ApplicationIdSchema }).strict();

/** Temporal access for the loan routes; without it they answer 503. */
export interface LoanRouteDeps {
  reader: Database;
  writer: Database;
  ledger: Ledger;
  temporal?: { client: Client; taskQueue: string; runOptions?: LoanRunOptions };
  preHandlers: {
    submit: preHandlerHookHandler;
    read: preHandlerHookHandler;
    review: preHandlerHookHandler;
  };
}

const noTemporal = (reply: FastifyReply) =>
  reply
    .code(503)
    .send({ error: 'loan origination is not available on this server (no Temporal connection)' });

/**
 * Registers loan origination over HTTP (services/loans, the same rules as `ledgerflow loan`):
 * - `POST /v1/loan-applications`: the application file as JSON; 201 with the workflow and run
 *   id, 200 with the same ids for a repeat of the same body, 409 for another body under that id;
 * - `GET /v1/loan-applications/:id`: status, decision, pending review (an emitter key sees only
 *   its own applications; others are 404 to it);
 * - `POST /v1/loan-applications/:id/review`: `{decision, reason}` by a reviewer key.
 * Personal data is taken from the body only and never echoed into answers or errors.
 */
export function registerLoanRoutes(app: FastifyInstance, deps: LoanRouteDeps): void {
  app.post('/v1/loan-applications', { preHandler: deps.preHandlers.submit }, async (req, reply) => {
    const key = req.principal;
    if (!key) return reply.code(401).send({ error: 'missing, unknown or revoked API key' });
    let file;
    try {
      file = parseApplicationFile(req.body);
    } catch (err) {
      if (err instanceof InvalidApplicationError)
        return reply
          .code(400)
          .send({ error: 'invalid application; no workflow was started', fields: err.fields });
      throw err;
    }
    // After validation: a malformed body is 400 for every key; a well-formed one needs the grant.
    if (key.role === 'emitter' && !eventTypeGranted(key.eventTypes, LOAN_SUBMIT_GRANT))
      return reply.code(403).send({
        error: `this key may not start loan applications (needs the "${LOAN_SUBMIT_GRANT}" event-type grant)`,
      });
    if (!deps.temporal) return noTemporal(reply);
    try {
      const r = await startLoanApplication(
        { db: deps.writer, client: deps.temporal.client, taskQueue: deps.temporal.taskQueue },
        file,
        key.id,
        deps.temporal.runOptions,
      );
      return reply.code(r.duplicate ? 200 : 201).send({
        application_id: r.applicationId,
        workflow_id: r.handle.workflowId,
        run_id: r.runId,
        duplicate: r.duplicate,
      });
    } catch (err) {
      if (err instanceof LoanStateError) return reply.code(409).send({ error: err.message });
      throw err;
    }
  });

  const loanId = (req: FastifyRequest, reply: FastifyReply): string | undefined => {
    const p = IdParamSchema.safeParse(req.params);
    if (p.success) return p.data.id;
    void reply.code(400).send({ error: describeZodError(p.error) });
    return undefined;
  };

  app.get('/v1/loan-applications/:id', { preHandler: deps.preHandlers.read }, async (req, reply) => {
    const id = loanId(req, reply);
    if (id === undefined) return reply;
    if (!deps.temporal) return noTemporal(reply);
    const notFound = () => reply.code(404).send({ error: `no application "${id}"` });
    let status;
    try {
      status = await getLoanStatus({ db: deps.reader, client: deps.temporal.client }, id);
    } catch (err) {
      if (err instanceof LoanStateError) return notFound();
      throw err;
    }
    if (req.principal?.role === 'emitter' && status.submittedBy !== req.principal.id) return notFound();
    const view = {
      application_id: status.applicationId,
      status: status.status,
      decision: status.decision,
      decided_by: status.decidedBy,
      submitted_by: status.submittedBy,
      amount: status.amount,
      currency: status.currency,
      workflow: status.workflow
        ? { workflow_id: id, run_id: status.workflow.runId, status: status.workflow.status }
        : null,
      pending_review:
        status.state?.status === 'awaiting_review' || status.state?.status === 'escalated'
          ? {
              eligible_reviewers: status.state.eligibleReviewers ?? [],
              due_at: status.state.reviewDueAt ?? null,
            }
          : null,
      state: status.state ?? null,
    };
    return answerRead(
      deps.ledger,
      req,
      reply,
      { action: 'view', resource: { type: 'loan_application', id }, filter: { id }, rows: 1 },
      view,
    );
  });

  app.post(
    '/v1/loan-applications/:id/review',
    { preHandler: deps.preHandlers.review },
    async (req, reply) => {
      const id = loanId(req, reply);
      if (id === undefined) return reply;
      const body = ReviewBodySchema.safeParse(req.body);
      if (!body.success) return reply.code(400).send({ error: describeZodError(body.error) });
      if (!deps.temporal) return noTemporal(reply);
      try {
        const state = await reviewLoan(
          { db: deps.writer, client: deps.temporal.client },
          id,
          req.principal?.id,
          body.data.decision,
          body.data.reason,
        );
        return { application_id: id, status: state.status, decision: state.decision ?? null };
      } catch (err) {
        if (err instanceof LoanStateError) return reply.code(409).send({ error: err.message });
        throw err;
      }
    },
  );
}
