import type { RetentionConfigInput } from './config';

/**
 * The embedded default retention config (what `ledgerflow retention policies --apply` and the
 * daily schedule use unless told otherwise). Periods follow common EU obligations: AML record
 * keeping 5 years after the business relationship (AMLD art. 40), credit files 7 years.
 */
export const DEFAULT_RETENTION_CONFIG: RetentionConfigInput = {
  legalMinimums: {
    ledger_payloads: 'P5Y',
    loan_applications: 'P5Y',
    loan_enrichments: 'P1Y',
    workflow_histories: 'P5Y',
    transactions: 'P5Y',
    alerts: 'P5Y',
    screening_results: 'P5Y',
  },
  policies: [
    {
      id: 'aml-record-keeping',
      dataClasses: ['ledger_payloads'],
      period: 'P5Y',
      trigger: 'created',
      action: 'purge_payload',
      locked: true,
      description: 'AML record keeping: personal data in audit payloads kept 5 years',
    },
    {
      id: 'credit-file',
      dataClasses: ['loan_applications'],
      period: 'P7Y',
      trigger: 'last_activity',
      action: 'delete',
      description: 'Credit file: applications kept 7 years after their last change',
    },
    {
      id: 'aml-applications',
      dataClasses: ['loan_applications'],
      period: 'P5Y',
      trigger: 'created',
      action: 'delete',
      locked: true,
      description: 'AML: applications kept at least 5 years (overlaps credit-file; the longest wins)',
    },
    {
      id: 'enrichment-records',
      dataClasses: ['loan_enrichments'],
      period: 'P2Y',
      trigger: 'created',
      action: 'delete',
      description: 'Registry and bureau records: 2 years',
    },
    {
      id: 'workflow-histories',
      dataClasses: ['workflow_histories'],
      period: 'P7Y',
      trigger: 'closed',
      action: 'delete',
      description: 'Archived workflow histories: 7 years after the workflow closed',
    },
    {
      id: 'aml-transactions',
      dataClasses: ['transactions'],
      period: 'P5Y',
      trigger: 'created',
      action: 'delete',
      locked: true,
      description: 'AML record keeping: monitored transactions kept 5 years after they occurred',
    },
    {
      id: 'aml-alerts',
      dataClasses: ['alerts'],
      period: 'P5Y',
      trigger: 'created',
      action: 'delete',
      locked: true,
      description: 'AML record keeping: monitoring alerts and their traces kept 5 years',
    },
    {
      id: 'aml-screening',
      dataClasses: ['screening_results'],
      period: 'P5Y',
      trigger: 'created',
      action: 'delete',
      locked: true,
      description: 'AML record keeping: sanctions screening results and their hits kept 5 years',
    },
  ],
};
