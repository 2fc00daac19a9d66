import type { Actor, EventContext } from '../../core/audit-event';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';

/** Ledger stream of monitoring alerts and rule-set changes. */
export const MONITORING_STREAM = 'monitoring';

/** What the monitoring service is built from. */
export interface MonitoringDeps {
  db: Database;
  ledger: Ledger;
}

/** Who acts and from where (recorded on ledger events). */
export interface MonitoringCall {
  actor: Actor;
  context?: EventContext;
}
