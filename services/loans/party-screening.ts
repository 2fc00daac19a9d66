import type { ScreeningSummary } from '../../contracts/loan-origination';
import type { Actor, EventContext } from '../../core/audit-event';
import { deterministicUuid } from '../../core/deterministic-id';
import { LOAN_STREAM } from '../../core/loan';
import {
  INTERIM_ENGINE,
  interimScreen,
  type ScreenedParty,
  type WatchlistEntry,
} from '../../core/loan-interim-match';
import { MATCHER_VERSION } from '../../core/screening/config';
import type { Database } from '../../db/client';
import { loanInterimWatchlist } from '../../db/schema';
import type { Ledger } from '../../ledger/ledger';
import { InputError } from '../../runtime/errors';
import { ScreeningInputRejectedError } from './errors';
import type { LoanStep, StepOf } from './step';

/** One party screened by the sanctions engine (its result stored and recorded by the engine). */
export interface ScreenNameRequest {
  name: string;
  dob?: string;
  country?: string;
  kind: 'person';
  subjectId: string;
  resultId: string;
  actor: Actor;
  context: EventContext;
}

/** What party screening reads from the engine's answer. */
export interface ScreenNameOutcome {
  decision: string;
  hits: Array<{ source: string; entryId: string; score: number }>;
}

/**
 * The sanctions engine's single-name screening, injected by the worker wiring (the screening
 * service's `screenName`). Throws InputError for data it refuses.
 */
export type ScreenName = (input: ScreenNameRequest) => Promise<ScreenNameOutcome>;

export interface PartyScreeningDeps {
  db: Database;
  ledger: Ledger;
  screenName: ScreenName;
}

const yearOf = (d: unknown) =>
  typeof d === 'string' && /^\d{4}/.test(d) ? Number(d.slice(0, 4)) : undefined;

type Party = ScreenedParty & { role: 'applicant' | 'officer'; index: number; dob?: string; country?: string };
type PartyHit = ScreeningSummary['hits'][number] & { name: string; decision?: string };

/** Engine name recorded with each screening: the sanctions engine with its matcher version. */
export const SANCTIONS_ENGINE = `ledgerflow-screening/${MATCHER_VERSION}`;

/**
 * The loan workflow's one door to screening. It gathers the parties (applicant from the
 * application, officers from the registry enrichment record) and screens each of them.
 *
 * Engine: the sanctions engine (the injected `screenName`, which also stores each result and
 * its own ledger event) whenever a sanctions list is loaded
 * (`ledgerflow lists load ...`); otherwise the INTERIM matcher of core/loan-interim-match.ts over
 * the small `loan_interim_watchlist` table, so demos and tests run without a list. The engine
 * used is recorded in the `loan.parties_screened` event; the workflow does not change.
 */
export function createPartyScreening({ db, ledger, screenName }: PartyScreeningDeps) {
  // The interim list changes rarely: read it at most every 30 s per worker.
  let cached: { at: number; entries: Promise<WatchlistEntry[]> } | undefined;
  const watchlist = () => {
    if (!cached || Date.now() - cached.at > 30_000) {
      const entries = db.select().from(loanInterimWatchlist);
      cached = { at: Date.now(), entries: Promise.resolve(entries) };
      cached.entries.catch(() => (cached = undefined));
    }
    return cached.entries;
  };

  /**
   * What screening starts from, in one round trip: the applicant, the registry enrichment record
   * (its officers) and whether a sanctions list is loaded (then the engine screens).
   */
  async function screeningInputs(applicationId: string) {
    const r = await db.$client.query<{ applicant: unknown; registry: unknown; list_loaded: boolean }>(
      `SELECT (SELECT applicant FROM loan_applications WHERE id = $1) AS applicant,
              (SELECT record FROM loan_enrichments WHERE application_id = $1 AND source = 'business_registry') AS registry,
              EXISTS (SELECT 1 FROM screening_list_versions WHERE status = 'active') AS list_loaded`,
      [applicationId],
    );
    const row = r.rows[0];
    return { applicant: row?.applicant, registry: row?.registry, listLoaded: row?.list_loaded === true };
  }

  async function screenWithEngine(
    parties: Party[],
    applicationId: string,
    step: LoanStep,
  ): Promise<PartyHit[]> {
    const hits: PartyHit[] = [];
    for (const p of parties) {
      try {
        const r = await screenName({
          name: p.name,
          dob: p.dob,
          country: p.country,
          kind: 'person',
          subjectId: `${applicationId}:${p.role}:${p.index}`,
          resultId: deterministicUuid(`${step.businessKey()}:${p.role}:${p.index}`),
          actor: step.actor,
          context: step.auditContext(),
        });
        const top = r.hits[0];
        if (r.decision !== 'clear' && top) {
          hits.push({
            partyRole: p.role,
            partyIndex: p.index,
            listName: top.source,
            entryId: top.entryId,
            score: Math.round(top.score * 1000) / 1000,
            decision: r.decision,
            name: p.name,
          });
        }
      } catch (err) {
        if (err instanceof InputError) {
          throw new ScreeningInputRejectedError(err.message);
        }
        throw err;
      }
    }
    return hits;
  }

  return {
    /** Screens the applicant and the company officers; one `loan.parties_screened` event. */
    async screenParties(at: StepOf, input: { applicationId: string }): Promise<ScreeningSummary> {
      const step = at('screen.parties');
      const inputs = await screeningInputs(input.applicationId);
      const applicant = (inputs.applicant ?? {}) as {
        fullName?: string;
        dateOfBirth?: string;
        country?: string;
      };
      const officers =
        (
          inputs.registry as
            { data?: { officers?: Array<{ name: string; dateOfBirth?: string }> } } | null | undefined
        )?.data?.officers ?? [];
      const parties: Party[] = [];
      if (applicant.fullName) {
        parties.push({
          role: 'applicant',
          index: 0,
          name: applicant.fullName,
          dob: applicant.dateOfBirth,
          country: applicant.country,
          birthYear: yearOf(applicant.dateOfBirth),
        });
      }
      officers.forEach((o, index) =>
        parties.push({
          role: 'officer',
          index,
          name: o.name,
          dob: o.dateOfBirth,
          birthYear: yearOf(o.dateOfBirth),
        }),
      );

      let engineName: string;
      let hits: PartyHit[];
      let listEntries: number | null = null;
      if (inputs.listLoaded) {
        engineName = SANCTIONS_ENGINE;
        hits = await screenWithEngine(parties, input.applicationId, step);
      } else {
        engineName = INTERIM_ENGINE;
        const entries = await watchlist();
        listEntries = entries.length;
        hits = interimScreen(parties, entries).map((h) => {
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
      }
      await ledger.appendOneTrip(
        {
          event_type: 'loan.parties_screened',
          actor: step.actor,
          resource: { type: 'loan_application', id: input.applicationId },
          action: 'screen',
          outcome: 'success',
          case_id: input.applicationId,
          context: step.auditContext(),
          payload: {
            engine: engineName,
            list_entries: listEntries,
            parties: parties.map((p) => ({ role: p.role, index: p.index, name: p.name })),
            hits: hits.map((h) => ({ ...h })),
          },
        },
        { stream: LOAN_STREAM, idempotencyKey: step.businessKey() },
      );
      return {
        engine: engineName,
        partiesScreened: parties.length,
        // Names stay in the ledger payload and PostgreSQL, not in workflow history.
        hits: hits.map(({ name: _name, decision: _decision, ...h }) => h),
      };
    },
  };
}
