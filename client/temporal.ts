import { Client, Connection } from '@temporalio/client';

/** Connects a Temporal client, retrying briefly so a just-started server has time to answer. */
export async function connectTemporalClient(
  address: string,
  namespace: string,
  attempts = 20,
): Promise<Client> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      return new Client({ connection, namespace });
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** i, 2000)));
    }
  }
  throw new Error(
    `cannot reach Temporal at ${address}: ${(lastError as Error)?.message ?? lastError}. Start it with "ledgerflow dev" or set TEMPORAL_ADDRESS.`,
  );
}
