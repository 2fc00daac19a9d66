import type { Client } from '@temporalio/client';
import type { Database } from '../../db/client';
import type { Config } from '../../runtime/config';
import type { ProviderEndpoints } from '../../services/loans/enrichment';

/** What a demo scenario gets: a live Temporal client and worker, and ledger pools. */
export interface DemoContext {
  config: Config;
  client: Client;
  taskQueue: string;
  /** Pool as ledgerflow_reader, for showing what was written. */
  reader: Database;
  /** Pool as ledgerflow_writer, for scenarios that set up data. */
  writer: Database;
  /** Owner URL of the database (scenarios that start helper servers may need it). */
  ownerUrl: string;
  /** The admin principal the demo acts as when it adds its own principals. */
  admin: string;
  /** Prefix of the schedule ids the demo installs and checks (default `ledgerflow`, as `schedules install`). */
  schedulePrefix?: string;
  /** The transaction feed's broker (the embedded one, or NATS_URL). */
  natsUrl?: string;
  log(line: string): void;
  /** Points the demo's worker at these provider endpoints (undefined: none). */
  useProviders(urls: ProviderEndpoints | undefined): void;
}

export interface DemoScenario {
  name: string;
  run(ctx: DemoContext): Promise<void>;
}
