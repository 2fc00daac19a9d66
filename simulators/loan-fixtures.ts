import type { LoanApplicationFile } from '../core/loan-application-file';
import type { Database } from '../db/client';
import { loanInterimWatchlist } from '../db/schema';

/**
 * A valid application file. The simulated providers derive their answers from the ids:
 * national ids "LOW…"/"MID…"/"DEF…" give a low/borderline score/defaults, registration numbers
 * "SANC…" list a watch-listed officer, "DIS…" are dissolved, "NF…" do not exist.
 */
export function sampleApplication(
  applicationId: string,
  overrides: { nationalId?: string; registrationNumber?: string; amount?: number } = {},
): LoanApplicationFile {
  return {
    applicationId,
    applicant: {
      fullName: 'Maria Schneider',
      dateOfBirth: '1984-06-02',
      nationalId:
        overrides.nationalId ?? `ID-${applicationId.toUpperCase().replace(/[^A-Z0-9]/g, '')}`.slice(0, 32),
      country: 'DE',
      email: 'maria.schneider@example.com',
    },
    company: { registrationNumber: overrides.registrationNumber ?? 'HRB-104233', country: 'DE' },
    loan: { amount: overrides.amount ?? 50_000, currency: 'EUR', termMonths: 36, purpose: 'equipment' },
  };
}

/** The interim watch list's entries (fictitious people), loaded into `loan_interim_watchlist`. */
export const INTERIM_WATCHLIST = [
  {
    id: 'WL-0001',
    listName: 'SIM-SANCTIONS',
    name: 'Boris Valentinovich Marov',
    kind: 'person',
    country: 'XX',
    birthYear: 1961,
  },
  {
    id: 'WL-0002',
    listName: 'SIM-SANCTIONS',
    name: 'Karlo Dvornik',
    kind: 'person',
    country: 'XX',
    birthYear: 1975,
  },
  {
    id: 'WL-0003',
    listName: 'SIM-PEP',
    name: 'Evelina Strand-Moreau',
    kind: 'person',
    country: 'XX',
    birthYear: 1969,
  },
];

export async function seedInterimWatchlist(db: Database): Promise<void> {
  await db.insert(loanInterimWatchlist).values(INTERIM_WATCHLIST).onConflictDoNothing();
}
