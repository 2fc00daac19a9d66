import { createCheckpoint } from '../../ledger/checkpoint';
import {
  loadSigner,
  readLocalTrustedCheckpoint,
  readPinnedKeys,
  saveLocalTrustedCheckpoint,
} from '../../ledger/keys';
import { verifyLedger } from '../../ledger/verify';
import { printTable } from '../output';
import type { DemoScenario } from './types';

/**
 * Seals what the demo wrote: a signed checkpoint per stream (published to the data dir as the
 * last trusted one), then a full verification against the pinned key, as an auditor would run it.
 */
export const ledgerSealScenario: DemoScenario = {
  name: 'ledger: sign a checkpoint of every stream, then verify against the pinned key',
  async run({ config, writer, reader, log }) {
    const signer = loadSigner(config, log);
    const streams = await reader.$client.query<{ stream: string }>(
      'SELECT DISTINCT stream FROM ledger_events ORDER BY stream',
    );
    for (const { stream } of streams.rows) {
      const cp = await createCheckpoint(writer, signer, { stream });
      if (cp) saveLocalTrustedCheckpoint(config, cp.text);
    }
    const trusted = streams.rows
      .map((s) => readLocalTrustedCheckpoint(config, s.stream))
      .filter((c) => c !== null);
    const result = await verifyLedger(reader, {
      trustedKeys: readPinnedKeys(config),
      trustedCheckpoint: trusted,
    });
    printTable(result.streams, {
      stream: (s) => s.stream,
      events: (s) => s.eventsChecked,
      'signed tree size': (s) => s.provenTreeSize,
      valid: (s) => (s.valid ? 'valid' : `INVALID at seq ${s.firstBadSeq}: ${s.fault}`),
    });
    if (!result.valid) throw new Error(`the ledger did not verify: ${result.detail ?? result.fault}`);
    log(
      `ledger verified: ${result.eventsChecked} events, signatures checked with key ${signer.keyId} pinned in the data dir`,
    );
  },
};
