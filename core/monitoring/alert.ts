import { z } from 'zod';
import { TransactionSchema } from './transaction';

const Measure = z.union([z.number(), z.null(), z.record(z.string(), z.number().nullable())]);

/** One rule's line in an alert's trace. */
export const RuleTraceSchema = z.object({
  rule_id: z.string(),
  version: z.number().int(),
  params: z.record(z.string(), z.unknown()),
  value: Measure,
  threshold: Measure,
  result: z.boolean(),
});

/** The history window the rules saw when the alert was raised. */
export const SnapshotSchema = z.object({
  as_of: z.string(),
  window_start: z.string(),
  transaction_count: z.number().int(),
  transactions: z.array(TransactionSchema),
});

/** An alert as stored, printed and recorded in the ledger (the public contract). */
export const AlertSchema = z.object({
  alert_id: z.string(),
  account_id: z.string(),
  transaction_ids: z.array(z.string()),
  typology: z.string(),
  score: z.number(),
  decision: z.enum(['alert', 'block']),
  rules: z.array(RuleTraceSchema),
  snapshot: SnapshotSchema,
  created_at: z.string(),
  rule_set_version: z.number().int(),
  mode: z.enum(['live', 'shadow']),
  trigger_transaction_id: z.string(),
});

export type RuleTrace = z.infer<typeof RuleTraceSchema>;
export type Snapshot = z.infer<typeof SnapshotSchema>;
export type Alert = z.infer<typeof AlertSchema>;
/** An alert before it is stored (the database sets `created_at`). */
export type AlertDraft = Omit<Alert, 'created_at'>;
