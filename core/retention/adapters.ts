/**
 * Retention data classes as registered adapters. The database table `retention_data_classes`
 * (written by migrations) is what the purge function reads; this list mirrors it so configs are
 * validated before they reach the database. A new business class = one row in a migration plus
 * one entry here: table, key columns, the timestamp column of each supported trigger, and the
 * columns legal-hold scopes (subject / case / resource) match.
 */
export type RetentionTrigger = 'created' | 'closed' | 'last_activity';
export type RetentionAction = 'purge_payload' | 'delete';

export interface DataClassAdapter {
  dataClass: string;
  table: string;
  keyColumns: string[];
  triggers: Partial<Record<RetentionTrigger, string>>;
  scopes: { subject?: string; case?: string; resourceType?: string; resourceId?: string };
  action: RetentionAction;
  description: string;
}

export const DATA_CLASSES: readonly DataClassAdapter[] = [
  {
    dataClass: 'ledger_payloads',
    table: 'ledger_payloads',
    keyColumns: ['stream', 'seq'],
    triggers: { created: 'ledger_events.occurred_at' },
    scopes: {
      subject: 'subject_id',
      case: 'case_id',
      resourceType: 'resource_type',
      resourceId: 'resource_id',
    },
    action: 'purge_payload',
    description: 'Ledger event payloads and their salts; the events (and the chain) stay',
  },
  {
    dataClass: 'loan_applications',
    table: 'loan_applications',
    keyColumns: ['id'],
    triggers: { created: 'created_at', last_activity: 'updated_at' },
    scopes: { case: 'id', resourceType: 'application', resourceId: 'id' },
    action: 'delete',
    description: "Loan applications with the applicant's personal data",
  },
  {
    dataClass: 'loan_enrichments',
    table: 'loan_enrichments',
    keyColumns: ['application_id', 'source'],
    triggers: { created: 'fetched_at', last_activity: 'fetched_at' },
    scopes: { case: 'application_id', resourceType: 'application', resourceId: 'application_id' },
    action: 'delete',
    description: 'Enrichment records (registry, bureau) per application',
  },
  {
    dataClass: 'workflow_histories',
    table: 'workflow_histories',
    keyColumns: ['workflow_id', 'run_id'],
    triggers: { created: 'archived_at', closed: 'closed_at' },
    scopes: { resourceType: 'workflow', resourceId: 'workflow_id' },
    action: 'delete',
    description: 'Archived closed workflow histories',
  },
  {
    dataClass: 'transactions',
    table: 'monitoring_transactions',
    keyColumns: ['transaction_id'],
    triggers: { created: 'occurred_at', last_activity: 'occurred_at' },
    scopes: { subject: 'account_id', resourceType: 'transaction', resourceId: 'transaction_id' },
    action: 'delete',
    description: 'Monitored transactions: amounts, counterparties, places',
  },
  {
    dataClass: 'alerts',
    table: 'monitoring_alerts',
    keyColumns: ['alert_id'],
    triggers: { created: 'created_at' },
    scopes: { subject: 'account_id', resourceType: 'monitoring_alert', resourceId: 'alert_id' },
    action: 'delete',
    description: 'Monitoring alerts with their traces and the history snapshots the rules saw',
  },
  {
    dataClass: 'screening_results',
    table: 'screening_results',
    keyColumns: ['id'],
    triggers: { created: 'screened_at' },
    scopes: { subject: 'subject_id', resourceType: 'screening_result', resourceId: 'id' },
    action: 'delete',
    description: 'Sanctions screening results: screened names and hits with explanations',
  },
];

export function adapterFor(
  dataClass: string,
  extra: readonly DataClassAdapter[] = [],
): DataClassAdapter | undefined {
  return [...DATA_CLASSES, ...extra].find((a) => a.dataClass === dataClass);
}
