import type { FaultConfig } from './faults';
import { startCreditBureauServer, type BureauServer } from './credit-bureau-server';
import { startRegistryServer, type Officer, type ProviderServer } from './registry-server';

export type { CallRecord, FaultConfig } from './faults';
export { WATCHLISTED_OFFICER, companyRecord, type Officer } from './registry-server';
export { creditReport } from './credit-bureau-server';

/** Base URLs the enrichment activities call. */
export interface ProviderUrls {
  registryUrl: string;
  bureauUrl: string;
}

export interface RunningProviders {
  registry: ProviderServer;
  bureau: BureauServer;
  urls: ProviderUrls;
  close(): Promise<void>;
}

/**
 * Starts both simulated providers on free (or given) ports, for the demo, tests and benchmark.
 * `latencyMs` applies to both unless a provider's own fault config sets it.
 */
export async function startProviders(
  opts: {
    latencyMs?: number;
    registry?: FaultConfig;
    bureau?: FaultConfig;
    registryPort?: number;
    bureauPort?: number;
    /** The officer "SANC…" companies list (default: the interim watch list's). */
    listedOfficer?: Officer;
  } = {},
): Promise<RunningProviders> {
  const registry = await startRegistryServer({
    port: opts.registryPort,
    faults: { latencyMs: opts.latencyMs, ...opts.registry },
    listedOfficer: opts.listedOfficer,
  });
  const bureau = await startCreditBureauServer({
    port: opts.bureauPort,
    faults: { latencyMs: opts.latencyMs, ...opts.bureau },
  });
  return {
    registry,
    bureau,
    urls: { registryUrl: registry.url, bureauUrl: bureau.url },
    async close() {
      await Promise.all([registry.close(), bureau.close()]);
    },
  };
}
