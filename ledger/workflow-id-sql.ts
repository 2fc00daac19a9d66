/**
 * SQL matching the events whose context names workflow `param` (a placeholder such as `$1`), in
 * the form the partial index `ledger_events_workflow_time` serves: its predicate is
 * `context ? 'workflow_id'`, and a bare `context->>'workflow_id' = …` cannot use it (a sequential
 * scan of the whole ledger).
 */
export const workflowIdIs = (context: string, param: string): string =>
  `${context} ? 'workflow_id' AND ${context}->>'workflow_id' = ${param}`;
