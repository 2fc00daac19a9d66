import type { Client } from '@temporalio/client';
import type * as WorkerModule from '../worker/create-worker';
import type * as TemporalModule from './temporal';
import { closeDatabase, createDatabase, type Database } from '../db/client';
import { runMigrations } from '../db/migrate';
import { appRoleUrl, type AppRole } from '../db/roles';
import { loadSigner } from '../ledger/keys';
import { createLedger, type Ledger } from '../ledger/ledger';
import { loadConfig, type Config } from '../runtime/config';
import { openEnvironment, type Environment } from '../runtime/environment';
import { info } from './output';
import { assertServersReachable } from './reachability';

/** What a CLI command gets: config, endpoints, pools per app role and a Temporal client on demand. */
export interface CommandContext {
  config: Config;
  env: Environment;
  /** A pool connected as an app role (default writer); never the owner. */
  db(role?: AppRole): Database;
  /** The ledger over the writer pool, signing checkpoints at the configured cadence. */
  ledger(): Ledger;
  temporal(): Promise<Client>;
}

/**
 * Runs `fn` with a {@link CommandContext}. Applies migrations first when the database is the
 * embedded default (so a fresh machine just works); closes everything afterwards.
 */
export async function withContext<T>(
  opts: { temporal?: boolean; quiet?: boolean },
  fn: (ctx: CommandContext) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  await assertServersReachable(config, { temporal: opts.temporal ?? false });
  if (opts.temporal) {
    // The SDK's own log level; the first installation in a process wins. Loaded here, not at the
    // top: the worker module pulls in @temporalio/worker (~0.4 s of start-up) that commands
    // without Temporal never need. require(), not import(): under tsx's CommonJS hook a dynamic
    // import() of a .ts path is not found.
    const { installRuntimeLogger } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
      require('../worker/create-worker') as typeof WorkerModule;
    installRuntimeLogger(config.LEDGERFLOW_TEMPORAL_LOG_LEVEL);
  }
  const env = await openEnvironment(config, {
    temporal: opts.temporal ?? false,
    log: opts.quiet ? undefined : info,
  });
  const pools = new Map<AppRole, Database>();
  let ledger: Ledger | undefined;
  let client: Client | undefined;
  try {
    if (env.embeddedDatabase) await runMigrations(config, env.ownerUrl);
    const ctx: CommandContext = {
      config,
      env,
      db(role = 'ledgerflow_writer') {
        let db = pools.get(role);
        if (!db) {
          db = createDatabase(appRoleUrl(config, env.ownerUrl, role), { applicationName: 'ledgerflow-cli' });
          pools.set(role, db);
        }
        return db;
      },
      ledger() {
        // Appends from the CLI and the API are checkpointed like the worker's.
        return (ledger ??= createLedger(this.db('ledgerflow_writer'), {
          signer: loadSigner(config, info),
          checkpointEvery: config.LEDGERFLOW_CHECKPOINT_EVERY,
        }));
      },
      async temporal() {
        if (!env.temporalAddress) throw new Error('Temporal was not opened for this command');
        // Loaded on first use, like the worker module above: @temporalio/client costs ~0.2 s.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
        const { connectTemporalClient } = require('./temporal') as typeof TemporalModule;
        return (client ??= await connectTemporalClient(env.temporalAddress, config.TEMPORAL_NAMESPACE));
      },
    };
    return await fn(ctx);
  } finally {
    await client?.connection.close().catch(() => undefined);
    for (const db of pools.values()) await closeDatabase(db).catch(() => undefined);
    await env.close();
  }
}
