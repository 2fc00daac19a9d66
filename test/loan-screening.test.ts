import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SANCTIONS_ENGINE } from '../services/loans/party-screening';
import { getLoanStatus } from '../services/loans/applications';
import { useLoanTestEnv, sampleApplication } from './support';
import { createLedger } from '../ledger/ledger';
import { createScreeningService } from '../services/screening';

const env = useLoanTestEnv();

describe('screenParties with the sanctions engine', () => {
  it('uses the loaded sanctions list (core/screening) instead of the interim matcher and sends a hit to review', async () => {
    const loaded = await createScreeningService({ db: env.db, ledger: createLedger(env.db) }).loadList({
      path: path.join(__dirname, 'fixtures', 'sanctions', 'ofac-non-sdn'),
      source: 'ofac-consolidated',
    });
    expect(loaded.status).toBe('loaded');
    const { stop } = await env.startWorker();
    try {
      const file = sampleApplication('app-ofac');
      file.applicant.fullName = 'Ismail Abdul Salah Haniya';
      file.applicant.dateOfBirth = '1962-01-01';
      const sub = await env.submit(file, {
        providerRetry: { initialIntervalMs: 100, maximumIntervalMs: 1_000 },
        reviewSla: { escalateAfterMs: 500, autoDeclineAfterMs: 1_000 },
      });
      const result = await sub.handle.result();
      expect(result.status).toBe('declined');
      const status = await getLoanStatus({ db: env.db, client: env.client }, 'app-ofac');
      expect(status.state?.screening?.engine).toBe(SANCTIONS_ENGINE);
      expect(status.state?.screening?.hits[0]).toMatchObject({
        partyRole: 'applicant',
        listName: 'ofac-consolidated',
        entryId: '9639',
      });
      expect(status.state?.rules?.decidingRuleId).toBe('R-SANCTIONS-HIT');
      const screened = (await env.events('app-ofac')).find((e) => e.event_type === 'loan.parties_screened');
      expect(screened?.payload.engine).toBe(SANCTIONS_ENGINE);
    } finally {
      await stop();
    }
  });
});
