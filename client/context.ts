import type { Tracer } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import type * as WorkerModule from '../worker/create-worker';
import type * as TemporalModule from './temporal';
import type * as MigrateModule from '../db/migrate';
import { closeDatabase, createDatabase, type Database } from '../db/client';
import { latestMigrationTag } from '../db/migrations-journal';
import { appRoleUrl, type AppRole } from '../db/roles';
import { loadSigner } from '../ledger/keys';
import { createLedger, type Ledger } from '../ledger/ledger';
import { loadConfig, tracingSettings, type Config } from '../runtime/config';
import type { LedgerflowMetrics } from '../runtime/metrics';
import type { Tracing } from '../runtime/tracing';
import type * as TracingModule from '../runtime/tracing';
import { openEnvironment, type Environment } from '../runtime/environment';
import { authorizeRead } from './command-authority';
import { info } from './output';
import { lazily } from './lazy';
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
  /** The tracer when tracing is configured for this command (pools and client already use it). */
  tracer?: Tracer;
}

/**
 * Runs `fn` with a {@link CommandContext}. Applies migrations first when the database is the
 * embedded default (so a fresh machine just works); closes everything afterwards.
 */
export async function withContext<T>(
  opts: {
    temporal?: boolean;
    quiet?: boolean;
    /** Name of the command's root span when tracing is configured (Temporal commands only). */
    span?: string;
    /** Where ctx.ledger() counts its appends (the API's registry); default nowhere. */
    metrics?: LedgerflowMetrics;
    /** A server's service name: traced (when configured) request by request, not under one span. */
    serve?: string;
    /** Opens the transaction feed's broker (tx publish). */
    nats?: boolean;
    /** Pools the command will query: connected while the read is authorized, not after. */
    warm?: AppRole[];
  },
  fn: (ctx: CommandContext) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  // Temporal commands trace under one root span; a server (`api serve`) traces its requests.
  const service = opts.serve ?? (opts.temporal ? 'ledgerflow-cli' : undefined);
  const traceTo = service ? tracingSettings(config, service) : undefined;
  // The OpenTelemetry SDK loads only when tracing is configured (CLI start-up).
  const tracing =
    traceTo &&
    (
      await lazily<typeof TracingModule>(
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- see lazily()
        () => require('../runtime/tracing'),
        () => import('../runtime/tracing.js'),
      )
    ).startTracing(traceTo);
  try {
    return tracing && !opts.serve
      ? await tracing.tracer.startActiveSpan(`ledgerflow ${opts.span ?? 'command'}`, async (span) => {
          try {
            return await runWithContext(config, opts, fn, tracing);
          } finally {
            span.end();
          }
        })
      : await runWithContext(config, opts, fn, tracing);
  } finally {
    // Exports the buffered spans before the command's process ends.
    await tracing?.shutdown();
  }
}

async function runWithContext<T>(
  config: Config,
  opts: {
    temporal?: boolean;
    quiet?: boolean;
    nats?: boolean;
    metrics?: LedgerflowMetrics;
    warm?: AppRole[];
  },
  fn: (ctx: CommandContext) => Promise<T>,
  tracing?: Tracing,
): Promise<T> {
  await assertServersReachable(config, { temporal: opts.temporal ?? false });
  if (opts.temporal) {
    // The SDK's own log level; the first installation in a process wins. Loaded here, not at the
    // top: the worker module pulls in @temporalio/worker (~0.4 s of start-up) that commands
    // without Temporal never need.
    const { installRuntimeLogger } = await lazily<typeof WorkerModule>(
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- see lazily()
      () => require('../worker/create-worker'),
      () => import('../worker/create-worker.js'),
    );
    installRuntimeLogger(config.LEDGERFLOW_TEMPORAL_LOG_LEVEL);
  }
  const env = await openEnvironment(config, {
    temporal: opts.temporal ?? false,
    nats: opts.nats,
    log: opts.quiet ? undefined : info,
  });
  const pools = new Map<AppRole, Database>();
  let ledger: Ledger | undefined;
  let client: Client | undefined;
  try {
    // A running `dev` of this build has migrated already: skip the owner connection, the lock and
    // the role updates (most of a short command's time).
    if (env.embeddedDatabase && env.devMigrated !== latestMigrationTag()) {
      const { runMigrations } = await lazily<typeof MigrateModule>(
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- see lazily()
        () => require('../db/migrate'),
        () => import('../db/migrate.js'),
      );
      await runMigrations(config, env.ownerUrl);
    }
    const ctx: CommandContext = {
      config,
      env,
      tracer: tracing?.tracer,
      db(role = 'ledgerflow_writer') {
        let db = pools.get(role);
        if (!db) {
          db = createDatabase(appRoleUrl(config, env.ownerUrl, role), {
            applicationName: 'ledgerflow-cli',
            tracer: tracing?.tracer,
          });
          pools.set(role, db);
        }
        return db;
      },
      ledger() {
        // Appends from the CLI and the API are checkpointed like the worker's.
        return (ledger ??= createLedger(this.db('ledgerflow_writer'), {
          signer: loadSigner(config, info),
          checkpointEvery: config.LEDGERFLOW_CHECKPOINT_EVERY,
          metrics: opts.metrics,
        }));
      },
      async temporal() {
        if (!env.temporalAddress) throw new Error('Temporal was not opened for this command');
        // Loaded on first use, like the worker module above: @temporalio/client costs ~0.2 s.
        const { connectTemporalClient } = await lazily<typeof TemporalModule>(
          // eslint-disable-next-line @typescript-eslint/no-require-imports -- see lazily()
          () => require('./temporal'),
          () => import('./temporal.js'),
        );
        return (client ??= await connectTemporalClient(env.temporalAddress, config.TEMPORAL_NAMESPACE, {
          tracer: tracing?.tracer,
        }));
      },
    };
    for (const role of opts.warm ?? []) {
      // A failed connection is reported by the command's own first query.
      void ctx
        .db(role)
        .$client.connect()
        .then(
          (c) => c.release(),
          () => undefined,
        );
    }
    await authorizeRead(ctx);
    return await fn(ctx);
  } finally {
    await client?.connection.close().catch(() => undefined);
    for (const db of pools.values()) await closeDatabase(db).catch(() => undefined);
    await env.close();
  }
}
