import {
  allHandlersFinished,
  condition,
  currentUpdateInfo,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  AssignSchema,
  CloseSchema,
  DEFAULT_INVESTIGATION_SLA,
  DecideSchema,
  InvestigationInputSchema,
  assignUpdate,
  closeUpdate,
  decideUpdate,
  investigationStateQuery,
  type AlertInvestigationWorkflow,
  type InvestigationInput,
  type InvestigationState,
  type InvestigationStep,
  type StepActor,
} from '../contracts/alert-investigation';
import type { z } from 'zod';
import { describeZodError } from '../core/zod-issues';
import { validateInput } from './validate-input';

const records = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

const SLA_ACTOR: StepActor = { type: 'workflow', id: 'alertInvestigation' };

function parsed<S extends z.ZodTypeAny>(schema: S, v: unknown): z.output<S> {
  const r = schema.safeParse(v);
  if (!r.success) throw new Error(`invalid input: ${describeZodError(r.error)}`);
  return r.data;
}

/**
 * The investigation of one monitoring alert: opened → assigned to an analyst (reassignable) →
 * the analyst decides (dismiss, escalate, file a report) → another principal closes it (four
 * eyes). Each phase has an SLA; an overdue phase escalates once. Every step is a ledger event
 * with the acting principal as given by the authenticated caller of the Update.
 */
export async function alertInvestigation(raw: InvestigationInput): Promise<InvestigationState> {
  const input = validateInput(InvestigationInputSchema, raw);
  const sla = input.sla ?? DEFAULT_INVESTIGATION_SLA;
  const state: InvestigationState = {
    alertId: input.alertId,
    accountId: input.accountId,
    status: 'open',
    escalations: [],
    steps: [],
  };
  const now = () => new Date().toISOString();
  let index = 0;
  const record = async (
    step: InvestigationStep,
    actor: StepActor,
    details: Record<string, string | number | null>,
  ) => {
    const i = index++;
    const entry = { step, by: actor, at: now() };
    state.steps.push(entry);
    try {
      await records.recordInvestigationStep({
        alertId: input.alertId,
        accountId: input.accountId,
        index: i,
        step,
        actor,
        details,
        ...(actor.type === 'user' ? { updateId: currentUpdateInfo()?.id } : {}),
      });
    } catch (err) {
      state.steps.splice(state.steps.indexOf(entry), 1);
      throw err;
    }
  };
  /**
   * Runs an Update's change; when its step is refused (an Update not on record as sent by the
   * principal it names), the fields it changed are put back and the Update fails.
   */
  const undoOnRefusal = async <K extends keyof InvestigationState>(
    keys: K[],
    change: () => Promise<void>,
  ) => {
    const before = keys.map((k) => [k, state[k]] as const);
    try {
      await change();
    } catch (err) {
      for (const [k, v] of before) state[k] = v;
      throw err;
    }
  };
  const user = (id: string): StepActor => ({ type: 'user', id });

  setHandler(investigationStateQuery, () => state);
  setHandler(
    assignUpdate,
    async (a) => {
      await undoOnRefusal(['status', 'analyst', 'assignedBy', 'assignedAt'], async () => {
        state.status = 'assigned';
        state.analyst = a.analyst;
        state.assignedBy = a.by;
        state.assignedAt = now();
        await record('assigned', user(a.by), { analyst: a.analyst });
      });
      return state;
    },
    {
      validator: (v) => {
        parsed(AssignSchema, v);
        if (state.status !== 'open' && state.status !== 'assigned')
          throw new Error(`alert ${input.alertId} is ${state.status}: it can no longer be assigned`);
      },
    },
  );
  setHandler(
    decideUpdate,
    async (d) => {
      const reason = d.reason.trim();
      await undoOnRefusal(['status', 'decision'], async () => {
        state.status = 'decided';
        state.decision = { decision: d.decision, by: d.by, reason, at: now() };
        await record('decided', user(d.by), { decision: d.decision, reason });
      });
      return state;
    },
    {
      validator: (v) => {
        const d = parsed(DecideSchema, v);
        if (state.status !== 'assigned')
          throw new Error(`alert ${input.alertId} is ${state.status}: only an assigned alert can be decided`);
        if (d.by !== state.analyst)
          throw new Error(`only the assigned analyst (${state.analyst}) may decide alert ${input.alertId}`);
      },
    },
  );
  setHandler(
    closeUpdate,
    async (c) => {
      await undoOnRefusal(['status', 'closedBy', 'closedAt'], async () => {
        state.status = 'closed';
        state.closedBy = c.by;
        state.closedAt = now();
        await record('closed', user(c.by), {
          decision: state.decision?.decision ?? null,
          reason: c.reason ?? null,
        });
      });
      return state;
    },
    {
      validator: (v) => {
        const c = parsed(CloseSchema, v);
        if (state.status !== 'decided')
          throw new Error(`alert ${input.alertId} is ${state.status}: only a decided alert can be closed`);
        if (c.by === state.decision?.by)
          throw new Error(
            `four eyes: ${c.by} decided alert ${input.alertId} and may not also close it; another principal must`,
          );
      },
    },
  );

  const escalate = async (phase: 'assignment' | 'decision', since: string, withinMs: number) => {
    const dueAt = new Date(Date.parse(since) + withinMs).toISOString();
    state.escalations.push({ phase, at: now(), dueAt });
    await record('escalated', SLA_ACTOR, { phase, due_at: dueAt, analyst: state.analyst ?? null });
  };

  const openedAt = now();
  await record('opened', input.openedBy, { typology: input.typology, decision: input.decision });
  if (!(await condition(() => state.status !== 'open', sla.assignWithinMs))) {
    await escalate('assignment', openedAt, sla.assignWithinMs);
    await condition(() => state.status !== 'open');
  }
  // The decision SLA runs from each (re)assignment.
  while (state.status === 'assigned') {
    const at = state.assignedAt as string;
    const moved = () => state.status !== 'assigned' || state.assignedAt !== at;
    if (!(await condition(moved, sla.decideWithinMs))) {
      await escalate('decision', at, sla.decideWithinMs);
      await condition(moved);
    }
  }
  await condition(() => state.status === 'closed');
  await condition(allHandlersFinished);
  return state;
}

alertInvestigation satisfies AlertInvestigationWorkflow;
