import { Context } from '@temporalio/activity';
import { and, eq } from 'drizzle-orm';
import {
  INTERIM_ENGINE,
  interimScreen,
  type ScreenedParty,
  type WatchlistEntry,
} from '../core/loan-interim-match';
import { LOAN_STREAM, type ScreeningSummary } from '../core/loan';
import type { Database } from '../db/client';
import { loanApplications, loanEnrichments, loanInterimWatchlist } from '../db/schema';
import { appendAuditEvent } from '../ledger/append';
import { activityAuditContext, businessEventKey } from './audit-context';

const yearOf = (d: unknown) =>
  typeof d === 'string' && /^\d{4}/.test(d) ? Number(d.slice(0, 4)) : undefined;

/**
 * The loan workflow's one door to screening. It gathers the parties (applicant from the
 * application, officers from the registry enrichment record) and screens them.
 *
 * The sanctions engine (core/screening) has no screening API yet, so this uses the INTERIM
 * matcher of core/loan-interim-match.ts over `loan_interim_watchlist`; swap the engine here
 * and the workflow does not change.
 */
export function createLoanScreeningActivities({ db }: { db: Database }) {
  // The list changes rarely: read it at most every 30 s per worker.
  let cached: { at: number; entries: Promise<WatchlistEntry[]> } | undefined;
  const watchlist = () => {
    if (!cached || Date.now() - cached.at > 30_000) {
      const entries = db.select().from(loanInterimWatchlist);
      cached = { at: Date.now(), entries: Promise.resolve(entries) };
      cached.entries.catch(() => (cached = undefined));
    }
    return cached.entries;
  };
  return {
    async screenParties(input: { applicationId: string }): Promise<ScreeningSummary> {
      const step = 'screen.parties';
      const [app] = await db
        .select({ applicant: loanApplications.applicant })
        .from(loanApplications)
        .where(eq(loanApplications.id, input.applicationId));
      const [registry] = await db
        .select({ record: loanEnrichments.record })
        .from(loanEnrichments)
        .where(
          and(
            eq(loanEnrichments.applicationId, input.applicationId),
            eq(loanEnrichments.source, 'business_registry'),
          ),
        );
      const applicant = (app?.applicant ?? {}) as { fullName?: string; dateOfBirth?: string };
      const officers =
        (
          registry?.record as
            { data?: { officers?: Array<{ name: string; dateOfBirth?: string }> } } | undefined
        )?.data?.officers ?? [];
      const parties: Array<ScreenedParty & { role: 'applicant' | 'officer'; index: number }> = [];
      if (applicant.fullName)
        parties.push({
          role: 'applicant',
          index: 0,
          name: applicant.fullName,
          birthYear: yearOf(applicant.dateOfBirth),
        });
      officers.forEach((o, index) =>
        parties.push({ role: 'officer', index, name: o.name, birthYear: yearOf(o.dateOfBirth) }),
      );

      const entries = await watchlist();
      const hits = interimScreen(parties, entries).map((h) => {
        const p = parties[h.partyIndex]!;
        return {
          partyRole: p.role,
          partyIndex: p.index,
          listName: h.entry.listName,
          entryId: h.entry.id,
          score: h.score,
          name: p.name,
        };
      });
      await appendAuditEvent(
        db,
        {
          event_type: 'loan.parties_screened',
          actor: { type: 'workflow', id: Context.current().info.workflowType ?? 'loanOrigination' },
          resource: { type: 'loan_application', id: input.applicationId },
          action: 'screen',
          outcome: 'success',
          case_id: input.applicationId,
          context: activityAuditContext(step),
          payload: {
            engine: INTERIM_ENGINE,
            list_entries: entries.length,
            parties: parties.map((p) => ({ role: p.role, index: p.index, name: p.name })),
            hits,
          },
        },
        { stream: LOAN_STREAM, idempotencyKey: businessEventKey(step) },
      );
      return {
        engine: INTERIM_ENGINE,
        partiesScreened: parties.length,
        // Names stay in the ledger payload and PostgreSQL, not in workflow history.
        hits: hits.map(({ name: _name, ...h }) => h),
      };
    },
  };
}
