import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { LoanState } from '../contracts/loan-origination';
import { useLoanTestEnv, sampleApplication, waitFor } from './support';

const env = useLoanTestEnv();

describe('saga: a cancelled application', () => {
  it('cancels the credit inquiry it opened and records the compensation and the failure in the ledger', async () => {
    const { stop } = await env.startWorker();
    try {
      // A sanctions hit parks the application in review, after the credit inquiry was opened.
      const sub = await env.submit(sampleApplication('app-cancel', { registrationNumber: 'SANC-0042' }), {
        reviewSla: { escalateAfterMs: 60_000, autoDeclineAfterMs: 120_000 },
      });
      await waitFor(
        async () => (await sub.handle.query<LoanState>('loanState')).status === 'awaiting_review',
        30_000,
        'app-cancel awaiting review',
      );
      const opened = [...env.providers.bureau.inquiries.values()].filter((i) =>
        i.idempotencyKey.includes('app-cancel'),
      );
      expect(opened.map((i) => i.status)).toEqual(['open']);

      await sub.handle.cancel();
      const err = await sub.handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

      expect(opened.map((i) => i.status)).toEqual(['cancelled']);
      const cancelCalls = env.providers.bureau.faults.calls.filter((c) =>
        c.path.endsWith(`/v1/inquiries/${opened[0]!.inquiryId}/cancel`),
      );
      expect(cancelCalls.map((c) => c.status)).toEqual([200]);
      const loan = (await env.events('app-cancel')).filter((e) => e.stream === 'loan');
      expect(loan.map((e) => e.event_type).slice(-2)).toEqual([
        'loan.credit_inquiry_cancelled',
        'loan.origination_failed',
      ]);
      expect(loan.at(-1)?.payload).toMatchObject({
        error: 'application cancelled',
        compensations: [{ action: `cancel credit inquiry ${opened[0]!.inquiryId}`, outcome: 'done' }],
      });
      const history = await sub.handle.fetchHistory();
      expect(history.events?.at(-1)?.workflowExecutionCanceledEventAttributes).toBeTruthy();
    } finally {
      await stop();
    }
  });
});
