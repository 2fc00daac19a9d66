import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import { startEmbeddedPostgres } from './embedded-postgres';
import { startNatsServer } from './nats-server';
import { startTemporalDevServer, waitForPort } from './temporal-server';

/** Endpoints of the PostgreSQL and Temporal that commands talk to, and how to let go of them. */
export interface Environment {
  /** Owner URL: migrations and tests only. App code connects as the ledgerflow_* roles. */
  ownerUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  /** The transaction feed's broker: NATS_URL, a running `ledgerflow dev`'s, or the embedded one (with `nats`). */
  natsUrl?: string;
  /**
   * True when ledgerflow runs this PostgreSQL itself (embedded, or a running `ledgerflow dev`)
   * and so applies migrations before use; false for DATABASE_URL and for role URLs only.
   */
  embeddedDatabase: boolean;
  /** For a running `ledgerflow dev`'s database: the newest migration tag it applied. */
  devMigrated?: string;
  /** Human-readable origin of each endpoint, for `doctor` and `dev`. */
  origin: { postgres: string; temporal: string; nats: string };
  close(): Promise<void>;
}

interface DevState {
  pid: number;
  ownerUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  natsUrl?: string;
  /** Tag of the newest migration `dev` applied (commands of the same build need not re-apply). */
  migrated?: string;
}

const devStateFile = (config: Config) => path.join(config.dataDir, 'dev.json');

/** Records the endpoints of a running `ledgerflow dev`, so other commands reuse them. */
export function writeDevState(config: Config, state: Omit<DevState, 'pid'>): () => void {
  const file = devStateFile(config);
  writeFileSync(file, JSON.stringify({ pid: process.pid, ...state }, null, 2), { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

/** The endpoints of a `ledgerflow dev` that is still running, if any. */
export function readDevState(config: Config): DevState | undefined {
  const file = devStateFile(config);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as DevState;
    process.kill(state.pid, 0); // throws when that `ledgerflow dev` is gone
    return state;
  } catch {
    return undefined;
  }
}

async function reachable(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  try {
    await waitForPort(host ?? '127.0.0.1', Number(port), 300);
    return true;
  } catch {
    return false;
  }
}

/**
 * Gives commands a PostgreSQL and a Temporal: DATABASE_URL / TEMPORAL_ADDRESS when set; else
 * the ones of a running `ledgerflow dev`; else it starts embedded ones in the data dir
 * (PostgreSQL from embedded-postgres, `temporal server start-dev` persisted to SQLite).
 */
export async function openEnvironment(
  config: Config,
  opts: {
    temporal?: boolean;
    log?: (msg: string) => void;
    temporalUi?: boolean;
    /** Start the embedded NATS broker when neither NATS_URL nor a running `ledgerflow dev` provides one. */
    nats?: boolean;
  } = {},
): Promise<Environment> {
  const log = opts.log ?? (() => undefined);
  const wantTemporal = opts.temporal ?? true;
  const closers: Array<() => Promise<void>> = [];
  const dev = readDevState(config);
  mkdirSync(config.dataDir, { recursive: true });

  let ownerUrl: string;
  let pgOrigin: string;
  let embeddedDatabase = false;
  let devMigrated: string | undefined;
  if (config.DATABASE_URL) {
    ownerUrl = config.DATABASE_URL;
    pgOrigin = 'DATABASE_URL';
  } else if (config.LEDGERFLOW_WRITER_URL && config.LEDGERFLOW_READER_URL && config.LEDGERFLOW_PURGER_URL) {
    // Least privilege (production): the app roles' own URLs, no owner credentials at all.
    ownerUrl = '';
    pgOrigin = 'LEDGERFLOW_WRITER_URL / _READER_URL / _PURGER_URL';
  } else if (dev) {
    embeddedDatabase = true;
    devMigrated = dev.migrated;
    ownerUrl = dev.ownerUrl;
    pgOrigin = `ledgerflow dev (pid ${dev.pid})`;
  } else {
    log(
      `starting embedded PostgreSQL in ${path.join(config.dataDir, 'pg')} on port ${config.LEDGERFLOW_PG_PORT} ...`,
    );
    embeddedDatabase = true;
    const pg = await startEmbeddedPostgres({
      dir: path.join(config.dataDir, 'pg'),
      port: config.LEDGERFLOW_PG_PORT,
      persistent: true,
      notice: log,
    });
    closers.push(() => pg.stop());
    ownerUrl = pg.ownerUrl;
    pgOrigin = `embedded (${path.join(config.dataDir, 'pg')}, port ${config.LEDGERFLOW_PG_PORT})`;
  }

  let temporalAddress = '';
  let temporalUiUrl: string | undefined;
  let temporalOrigin = 'not started';
  if (config.TEMPORAL_ADDRESS) {
    temporalAddress = config.TEMPORAL_ADDRESS;
    temporalOrigin = 'TEMPORAL_ADDRESS';
  } else if (dev && (await reachable(dev.temporalAddress))) {
    temporalAddress = dev.temporalAddress;
    temporalUiUrl = dev.temporalUiUrl;
    temporalOrigin = `ledgerflow dev (pid ${dev.pid})`;
  } else if (wantTemporal) {
    log(`starting Temporal dev server on port ${config.LEDGERFLOW_TEMPORAL_PORT} ...`);
    const server = await startTemporalDevServer({
      port: config.LEDGERFLOW_TEMPORAL_PORT,
      lookup: config,
      uiPort: opts.temporalUi ? config.LEDGERFLOW_TEMPORAL_UI_PORT : undefined,
      dbFile: path.join(config.dataDir, 'temporal.db'),
      logFile: path.join(config.dataDir, 'temporal.log'),
      namespace: config.TEMPORAL_NAMESPACE,
      log,
    });
    closers.push(() => server.stop());
    temporalAddress = server.address;
    temporalUiUrl = server.uiUrl;
    temporalOrigin = `embedded dev server (${path.join(config.dataDir, 'temporal.db')})`;
  }

  let natsUrl: string | undefined;
  let natsOrigin = 'not started';
  if (config.NATS_URL) {
    natsUrl = config.NATS_URL;
    natsOrigin = 'NATS_URL';
  } else if (dev?.natsUrl && (await reachable(dev.natsUrl.replace(/^nats:\/\//, '')))) {
    natsUrl = dev.natsUrl;
    natsOrigin = `ledgerflow dev (pid ${dev.pid})`;
  } else if (opts.nats) {
    const dir = path.join(config.dataDir, 'nats');
    log(`starting NATS JetStream in ${dir} on port ${config.LEDGERFLOW_NATS_PORT} ...`);
    const broker = await startNatsServer({
      dir,
      port: config.LEDGERFLOW_NATS_PORT,
      logFile: path.join(config.dataDir, 'nats.log'),
      lookup: config,
      log,
    });
    closers.push(() => broker.stop());
    natsUrl = broker.url;
    natsOrigin = `embedded (${dir})`;
  }

  return {
    ownerUrl,
    temporalAddress,
    temporalUiUrl,
    natsUrl,
    embeddedDatabase,
    devMigrated,
    origin: { postgres: pgOrigin, temporal: temporalOrigin, nats: natsOrigin },
    close: async () => {
      for (const c of closers.reverse()) await c().catch(() => undefined);
    },
  };
}
