import { randomBytes } from 'node:crypto';
import { onboardingSmokeWorkflow } from '../../contracts/onboarding-smoke';
import { createLedger } from '../../ledger/ledger';
import { requirePrincipal } from '../../services/principals/principals';
import { startAuthorizedWorkflow } from '../../services/principals/workflow-starts';
import { printTable } from '../output';
import type { DemoScenario } from './types';

/** Runs the onboardingSmoke workflow and shows the ledger events it wrote, cross-linked to Temporal. */
export const onboardingSmokeScenario: DemoScenario = {
  name: 'onboarding smoke workflow',
  async run({ client, taskQueue, reader, writer, admin, log }) {
    const applicationId = `demo-${randomBytes(4).toString('hex')}`;
    const by = (await requirePrincipal(writer, admin, 'loan.start')).id;
    const handle = await startAuthorizedWorkflow(
      { client, ledger: createLedger(writer) },
      { principalId: by, action: 'loan.start' },
      onboardingSmokeWorkflow,
      { taskQueue, workflowId: `smoke-${applicationId}`, args: [{ applicationId, requestedBy: by }] },
    );
    const result = await handle.result();
    log(`workflow ${handle.workflowId} (run ${handle.firstExecutionRunId}) completed; ledger events:`);
    const rows = await reader.$client.query(
      `SELECT seq, event_type, context->>'activity_type' AS activity, context->>'run_id' AS run_id,
              encode(hash, 'hex') AS hash
         FROM ledger_events WHERE case_id = $1 ORDER BY seq`,
      [result.applicationId],
    );
    printTable(rows.rows, {
      seq: (r) => r.seq,
      event: (r) => r.event_type,
      activity: (r) => r.activity,
      run: (r) => String(r.run_id).slice(0, 8),
      hash: (r) => `${String(r.hash).slice(0, 16)}…`,
    });
  },
};
