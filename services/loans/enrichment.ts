import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { canonicalJson } from '../core/canonical-json';
import { jsonDiff } from '../core/json-diff';
import { LOAN_STREAM, TELEMETRY_STREAM, type CreditSummary, type RegistrySummary } from '../core/loan';
import type { Database } from '../db/client';
import { loanApplications, loanEnrichments } from '../db/schema';
import type { Ledger } from '../ledger/ledger';
import { activityAuditContext, attemptEventKey, businessEventKey } from './audit-context';

/** Where the providers are; when absent, LEDGERFLOW_REGISTRY_URL / LEDGERFLOW_BUREAU_URL at call time. */
export interface ProviderEndpoints {
  registryUrl: string;
  bureauUrl: string;
}

export interface EnrichmentDeps {
  db: Database;
  ledger: Ledger;
  providers?: ProviderEndpoints;
  /** Per-request HTTP timeout; default {@link PROVIDER_HTTP_TIMEOUT_MS}. */
  providerTimeoutMs?: number;
}

export const PROVIDER_HTTP_TIMEOUT_MS = 5_000;
/** Version tag of the standard enrichment record below. */
export const ENRICHMENT_RECORD_SCHEMA = 'ledgerflow.enrichment/v1';

const CompanySchema = z.object({
  registrationNumber: z.string(),
  legalName: z.string().min(1),
  status: z.enum(['active', 'dissolved', 'liquidation']),
  incorporatedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  country: z.string().length(2),
  annualRevenue: z.number().nonnegative(),
  officers: z.array(
    z.object({ name: z.string().min(1), role: z.string(), dateOfBirth: z.string().optional() }),
  ),
});

const InquirySchema = z.object({
  inquiryId: z.string().min(1),
  subjectRef: z.string(),
  status: z.enum(['open', 'cancelled']),
  report: z.object({
    score: z.number().int().min(300).max(900),
    activeDefaults: z.number().int().nonnegative(),
    openCreditLines: z.number().int().nonnegative(),
    totalDebt: z.number().nonnegative(),
  }),
});

const ApplicantSchema = z.object({
  fullName: z.string(),
  dateOfBirth: z.string(),
  nationalId: z.string(),
  country: z.string(),
});

/** The standard JSON enrichment record kept in `loan_enrichments.record`. */
export interface EnrichmentRecord {
  schema: typeof ENRICHMENT_RECORD_SCHEMA;
  applicationId: string;
  source: 'business_registry' | 'credit_bureau';
  provider: { name: string; reference: string };
  data: Record<string, unknown>;
}

function endpoints(deps: EnrichmentDeps): ProviderEndpoints {
  if (deps.providers) return deps.providers;
  const registryUrl = process.env.LEDGERFLOW_REGISTRY_URL;
  const bureauUrl = process.env.LEDGERFLOW_BUREAU_URL;
  if (!registryUrl || !bureauUrl) {
    throw ApplicationFailure.create({
      type: 'ProvidersNotConfigured',
      message: 'provider URLs unknown: set LEDGERFLOW_REGISTRY_URL and LEDGERFLOW_BUREAU_URL for the worker',
    });
  }
  return { registryUrl, bureauUrl };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Enrichment activities: provider calls with telemetry per attempt and one business event per data change. */
export function createEnrichmentActivities(deps: EnrichmentDeps) {
  const { db, ledger } = deps;
  const timeoutMs = deps.providerTimeoutMs ?? PROVIDER_HTTP_TIMEOUT_MS;

  /**
   * One HTTP call attempt. Writes a telemetry event (key includes the attempt), then returns the
   * validated body or throws: retryable for timeouts, network errors and 5xx; retryable after
   * Retry-After for 429; non-retryable for other 4xx and malformed bodies.
   */
  async function callProvider<T>(opts: {
    provider: 'business_registry' | 'credit_bureau';
    step: string;
    applicationId: string;
    method: 'GET' | 'POST';
    url: string;
    body?: unknown;
    schema: z.ZodType<T>;
  }): Promise<{ data: T; telemetry: Promise<unknown> }> {
    const idempotencyKey = businessEventKey(opts.step);
    const started = performance.now();
    let status = 0;
    let text = '';
    let networkError: string | undefined;
    let retryAfterS: number | undefined;
    const ctx = Context.current();
    // Heartbeats while the call is in flight, so a killed worker is noticed in seconds.
    const beat = setInterval(() => ctx.heartbeat(), 500);
    try {
      const res = await fetch(opts.url, {
        method: opts.method,
        headers: {
          'idempotency-key': idempotencyKey,
          'x-request-id': attemptEventKey(opts.step),
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ctx.cancellationSignal]),
      });
      status = res.status;
      const ra = Number(res.headers.get('retry-after'));
      if (status === 429 && Number.isFinite(ra) && ra >= 0) retryAfterS = Math.min(ra, 300);
      text = await res.text();
    } catch (err) {
      const e = err as Error;
      networkError = e.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : `${e.name}: ${e.message}`;
    } finally {
      clearInterval(beat);
    }
    const durationMs = Math.round(performance.now() - started);

    let parsed: T | undefined;
    let failure: ApplicationFailure | Error | undefined;
    if (networkError) failure = new Error(`${opts.provider}: ${networkError}`);
    else if (status === 429) {
      failure = ApplicationFailure.create({
        type: 'ProviderRateLimited',
        message: `${opts.provider}: 429 rate limited, retry after ${retryAfterS ?? '?'} s`,
        nextRetryDelay: retryAfterS !== undefined ? retryAfterS * 1000 : undefined,
      });
    } else if (status >= 500) failure = new Error(`${opts.provider}: HTTP ${status}`);
    else if (status >= 400) {
      failure = ApplicationFailure.create({
        type: 'ProviderRejected',
        message: `${opts.provider}: HTTP ${status} ${text.slice(0, 200)}`,
        nonRetryable: true,
      });
    } else {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const r = opts.schema.safeParse(json);
      if (r.success) parsed = r.data;
      else {
        failure = ApplicationFailure.create({
          type: 'ProviderMalformedResponse',
          message: `${opts.provider}: response does not match the contract (${json === undefined ? 'not JSON' : r.error.issues[0]?.path.join('.')})`,
          nonRetryable: true,
        });
      }
    }

    const telemetry = ledger.append(
      {
        event_type: 'provider.call_attempted',
        actor: { type: 'service', id: 'ledgerflow-worker' },
        resource: { type: 'provider', id: opts.provider },
        action: 'call',
        outcome: failure ? 'error' : 'success',
        case_id: opts.applicationId,
        context: activityAuditContext(opts.step),
        payload: {
          request: { method: opts.method, path: new URL(opts.url).pathname, idempotency_key: idempotencyKey },
          response: {
            status,
            duration_ms: durationMs,
            ...(retryAfterS !== undefined ? { retry_after_s: retryAfterS } : {}),
          },
          ...(failure ? { error: failure.message.slice(0, 500) } : {}),
        },
      },
      { stream: TELEMETRY_STREAM, idempotencyKey: attemptEventKey(opts.step) },
    );
    if (failure) {
      await telemetry;
      throw failure;
    }
    // The caller awaits the telemetry write together with its own writes (another stream).
    return { data: parsed as T, telemetry };
  }

  /**
   * Stores the enrichment record; when it differs from the stored one, first appends one
   * business event with the before/after patch (idempotent key, so a retry after a crash
   * between the two writes neither loses nor duplicates it), then upserts the record.
   */
  async function storeRecord(
    step: string,
    record: EnrichmentRecord,
  ): Promise<{ digest: string; version: number }> {
    const digest = sha256(canonicalJson(record));
    const [existing] = await db
      .select()
      .from(loanEnrichments)
      .where(
        and(
          eq(loanEnrichments.applicationId, record.applicationId),
          eq(loanEnrichments.source, record.source),
        ),
      );
    if (existing && existing.recordDigest === digest) return { digest, version: existing.version };
    const before = existing?.record as EnrichmentRecord | undefined;
    const version = (existing?.version ?? 0) + 1;
    await ledger.append(
      {
        event_type: 'loan.enrichment_recorded',
        actor: { type: 'workflow', id: Context.current().info.workflowType ?? 'loanOrigination' },
        resource: { type: 'loan_application', id: record.applicationId },
        action: 'enrich',
        outcome: 'success',
        case_id: record.applicationId,
        context: activityAuditContext(step),
        payload: {
          source: record.source,
          provider: record.provider,
          version_before: existing?.version ?? null,
          version_after: version,
          digest_before: existing?.recordDigest ?? null,
          digest_after: digest,
          patch: jsonDiff(before?.data, record.data) as unknown as Record<string, never>[],
        },
      },
      { stream: LOAN_STREAM, idempotencyKey: businessEventKey(step) },
    );
    await db
      .insert(loanEnrichments)
      .values({
        applicationId: record.applicationId,
        source: record.source,
        version,
        record,
        recordDigest: digest,
        provider: record.provider.name,
        providerRef: record.provider.reference,
      })
      .onConflictDoUpdate({
        target: [loanEnrichments.applicationId, loanEnrichments.source],
        set: {
          version,
          record,
          recordDigest: digest,
          providerRef: record.provider.reference,
          fetchedAt: new Date(),
        },
      });
    return { digest, version };
  }

  return {
    /** Fetches the company from the business registry and records it. */
    async fetchCompanyRegistry(input: {
      applicationId: string;
      companyRegistrationNumber: string;
    }): Promise<RegistrySummary> {
      const step = 'enrich.business-registry';
      const { registryUrl } = endpoints(deps);
      const { data: company, telemetry } = await callProvider({
        provider: 'business_registry',
        step,
        applicationId: input.applicationId,
        method: 'GET',
        url: `${registryUrl}/v1/companies/${encodeURIComponent(input.companyRegistrationNumber)}`,
        schema: CompanySchema,
      });
      const [stored] = await Promise.all([
        storeRecord(step, {
          schema: ENRICHMENT_RECORD_SCHEMA,
          applicationId: input.applicationId,
          source: 'business_registry',
          provider: { name: 'sim-business-registry', reference: company.registrationNumber },
          data: company,
        }),
        telemetry,
      ]);
      const incorporated = new Date(`${company.incorporatedOn}T00:00:00Z`).getTime();
      return {
        companyActive: company.status === 'active',
        companyAgeYears: Math.floor((Date.now() - incorporated) / (365.25 * 24 * 3600_000)),
        annualRevenue: company.annualRevenue,
        officerCount: company.officers.length,
        recordDigest: stored.digest,
        recordVersion: stored.version,
      };
    },

    /** Opens a credit inquiry (a provider-side action: compensate with cancelCreditInquiry) and records the report. */
    async openCreditInquiry(input: { applicationId: string; amount: number }): Promise<CreditSummary> {
      const step = 'enrich.credit-bureau';
      const { bureauUrl } = endpoints(deps);
      const [app] = await db
        .select({ applicant: loanApplications.applicant })
        .from(loanApplications)
        .where(eq(loanApplications.id, input.applicationId));
      const applicant = ApplicantSchema.safeParse(app?.applicant);
      if (!applicant.success) {
        throw ApplicationFailure.create({
          type: 'ApplicantDataMissing',
          message: `application ${input.applicationId}: applicant data missing or purged`,
          nonRetryable: true,
        });
      }
      const { data: inquiry, telemetry } = await callProvider({
        provider: 'credit_bureau',
        step,
        applicationId: input.applicationId,
        method: 'POST',
        url: `${bureauUrl}/v1/inquiries`,
        body: {
          subject: { nationalId: applicant.data.nationalId, dateOfBirth: applicant.data.dateOfBirth },
          purpose: 'loan_origination',
          amount: input.amount,
        },
        schema: InquirySchema,
      });
      const [stored] = await Promise.all([
        storeRecord(step, {
          schema: ENRICHMENT_RECORD_SCHEMA,
          applicationId: input.applicationId,
          source: 'credit_bureau',
          provider: { name: 'sim-credit-bureau', reference: inquiry.inquiryId },
          data: { inquiryId: inquiry.inquiryId, subjectRef: inquiry.subjectRef, ...inquiry.report },
        }),
        telemetry,
      ]);
      return {
        inquiryId: inquiry.inquiryId,
        creditScore: inquiry.report.score,
        activeDefaults: inquiry.report.activeDefaults,
        recordDigest: stored.digest,
        recordVersion: stored.version,
      };
    },

    /** Compensation: cancels a credit inquiry opened by this workflow, and records that. */
    async cancelCreditInquiry(input: {
      applicationId: string;
      inquiryId: string;
      reason: string;
    }): Promise<void> {
      const step = 'compensate.cancel-credit-inquiry';
      const { bureauUrl } = endpoints(deps);
      const { telemetry } = await callProvider({
        provider: 'credit_bureau',
        step,
        applicationId: input.applicationId,
        method: 'POST',
        url: `${bureauUrl}/v1/inquiries/${encodeURIComponent(input.inquiryId)}/cancel`,
        schema: InquirySchema,
      });
      await Promise.all([
        telemetry,
        ledger.append(
          {
            event_type: 'loan.credit_inquiry_cancelled',
            actor: { type: 'workflow', id: Context.current().info.workflowType ?? 'loanOrigination' },
            resource: { type: 'loan_application', id: input.applicationId },
            action: 'compensate',
            outcome: 'success',
            case_id: input.applicationId,
            context: activityAuditContext(step),
            payload: { inquiry_id: input.inquiryId, reason: input.reason },
          },
          { stream: LOAN_STREAM, idempotencyKey: businessEventKey(step) },
        ),
      ]);
    },
  };
}
