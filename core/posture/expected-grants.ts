import type { GrantMatrix } from './evaluate';

/**
 * The table privileges each app role is meant to hold (db/migrations 0001, 0003, 0005, 0007,
 * 0009, 0011, 0015, 0018, 0022, 0026, 0042). A migration that changes grants changes this table in the same commit;
 * the posture control flags any difference in the live database.
 */
const R = ['SELECT'] as const;
const RI = ['INSERT', 'SELECT'] as const;
const RIU = ['INSERT', 'SELECT', 'UPDATE'] as const;
const all3 = (writer: readonly string[]) => ({
  ledgerflow_writer: writer,
  ledgerflow_reader: R,
  ledgerflow_purger: R,
});
const noPurger = (writer: readonly string[]) => ({ ledgerflow_writer: writer, ledgerflow_reader: R });

export const EXPECTED_GRANTS: GrantMatrix = {
  ledger_events: all3(RI),
  ledger_payloads: all3(RI),
  ledger_payload_purges: all3(R),
  ledger_checkpoints: all3(RI),
  ledger_merkle_tiles: all3(RI),
  ledger_signing_keys: all3(RI),
  ledger_heads: all3(RI),
  ledger_head_streams: all3(R),
  api_keys: noPurger(RI),
  legal_holds: noPurger(RI),
  legal_hold_releases: noPurger(RI),
  legal_holds_active: noPurger(R),
  retention_data_classes: noPurger(R),
  retention_policies: noPurger(RI),
  retention_purge_batches: noPurger(R),
  loan_applications: all3(RIU),
  loan_enrichments: all3(RIU),
  loan_interim_watchlist: all3(RI),
  principals: all3(RI),
  workflow_histories: all3(RI),
  screening_alerts: noPurger(RIU),
  screening_list_versions: noPurger(RIU),
  screening_list_entries: noPurger(RI),
  screening_exceptions: all3(RI),
  screening_results: all3(RI),
  monitoring_transactions: all3(RI),
  monitoring_alerts: all3(RI),
  monitoring_rejections: noPurger(RI),
  monitoring_rule_versions: noPurger(RIU),
  monitoring_account_marks: noPurger(RIU),
};

/** The ledger tables and the guard triggers each must carry, enabled. */
export const LEDGER_GUARDS: Record<string, string[]> = {
  ledger_events: ['ledger_events_append_only', 'ledger_events_no_truncate'],
  ledger_payloads: ['ledger_payloads_guard', 'ledger_payloads_delete_guard', 'ledger_payloads_no_truncate'],
  ledger_payload_purges: ['ledger_purges_append_only', 'ledger_purges_no_truncate'],
  ledger_checkpoints: ['ledger_checkpoints_append_only', 'ledger_checkpoints_no_truncate'],
  ledger_merkle_tiles: ['ledger_merkle_tiles_append_only', 'ledger_merkle_tiles_no_truncate'],
  ledger_signing_keys: ['ledger_signing_keys_append_only', 'ledger_signing_keys_no_truncate'],
  ledger_heads: ['ledger_heads_append_only', 'ledger_heads_no_truncate', 'ledger_heads_index_streams'],
  ledger_head_streams: ['ledger_head_streams_append_only', 'ledger_head_streams_no_truncate'],
};

/** Privileges that would let a role change or erase ledger history. */
export const LEDGER_WRITE_PRIVILEGES = ['UPDATE', 'DELETE', 'TRUNCATE'];
