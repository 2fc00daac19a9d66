import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { CreditSummary, RegistrySummary } from '../../contracts/loan-origination';
import { LOAN_STREAM } from '../../core/loan';
import type { Database } from '../../db/client';
import { loanApplications } from '../../db/schema';
import type { Ledger } from '../../ledger/ledger';
import { ENRICHMENT_RECORD_SCHEMA, storeEnrichmentRecord } from './enrichment-record';
import { ApplicantDataMissingError, ProvidersNotConfiguredError } from './errors';
import { PROVIDER_HTTP_TIMEOUT_MS, callProvider } from './provider-http';
import type { StepOf } from './step';

/** Base URLs of the business registry and the credit bureau. */
export interface ProviderEndpoints {
  registryUrl: string;
  bureauUrl: string;
}

export interface EnrichmentDeps {
  db: Database;
  ledger: Ledger;
  /**
   * Where the providers are. A function is asked at every call (the demo swaps simulators
   * under a running worker); absent or undefined fails with {@link ProvidersNotConfiguredError}.
   */
  providers?: ProviderEndpoints | (() => ProviderEndpoints | undefined);
  /** Per-request HTTP timeout; default {@link PROVIDER_HTTP_TIMEOUT_MS}. */
  providerTimeoutMs?: number;
}

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

function endpoints(deps: EnrichmentDeps): ProviderEndpoints {
  const found = typeof deps.providers === 'function' ? deps.providers() : deps.providers;
  if (!found) {
    throw new ProvidersNotConfiguredError(
      'provider URLs unknown: set LEDGERFLOW_REGISTRY_URL and LEDGERFLOW_BUREAU_URL for the worker',
    );
  }
  return found;
}

const http = (deps: EnrichmentDeps) => ({
  ledger: deps.ledger,
  timeoutMs: deps.providerTimeoutMs ?? PROVIDER_HTTP_TIMEOUT_MS,
});

/** Fetches the company from the business registry and records it; returns a non-personal summary. */
export async function fetchCompanyRegistry(
  deps: EnrichmentDeps,
  at: StepOf,
  input: { applicationId: string; companyRegistrationNumber: string },
): Promise<RegistrySummary> {
  const step = at('enrich.business-registry');
  const { registryUrl } = endpoints(deps);
  const { data: company, telemetry } = await callProvider(http(deps), {
    provider: 'business_registry',
    step,
    applicationId: input.applicationId,
    method: 'GET',
    url: `${registryUrl}/v1/companies/${encodeURIComponent(input.companyRegistrationNumber)}`,
    schema: CompanySchema,
  });
  const [stored] = await Promise.all([
    storeEnrichmentRecord(deps, step, {
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
}

/** Opens a credit inquiry (a provider-side action: compensate with {@link cancelCreditInquiry}) and records the report. */
export async function openCreditInquiry(
  deps: EnrichmentDeps,
  at: StepOf,
  input: { applicationId: string; amount: number },
): Promise<CreditSummary> {
  const step = at('enrich.credit-bureau');
  const { bureauUrl } = endpoints(deps);
  const [app] = await deps.db
    .select({ applicant: loanApplications.applicant })
    .from(loanApplications)
    .where(eq(loanApplications.id, input.applicationId));
  const applicant = ApplicantSchema.safeParse(app?.applicant);
  if (!applicant.success) {
    throw new ApplicantDataMissingError(
      `application ${input.applicationId}: applicant data missing or purged`,
    );
  }
  const { data: inquiry, telemetry } = await callProvider(http(deps), {
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
    storeEnrichmentRecord(deps, step, {
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
}

/** Compensation: cancels a credit inquiry opened by this workflow, and records that. */
export async function cancelCreditInquiry(
  deps: EnrichmentDeps,
  at: StepOf,
  input: { applicationId: string; inquiryId: string; reason: string },
): Promise<void> {
  const step = at('compensate.cancel-credit-inquiry');
  const { bureauUrl } = endpoints(deps);
  const { telemetry } = await callProvider(http(deps), {
    provider: 'credit_bureau',
    step,
    applicationId: input.applicationId,
    method: 'POST',
    url: `${bureauUrl}/v1/inquiries/${encodeURIComponent(input.inquiryId)}/cancel`,
    schema: InquirySchema,
  });
  await Promise.all([
    telemetry,
    deps.ledger.appendOneTrip(
      {
        event_type: 'loan.credit_inquiry_cancelled',
        actor: step.actor,
        resource: { type: 'loan_application', id: input.applicationId },
        action: 'compensate',
        outcome: 'success',
        case_id: input.applicationId,
        context: step.auditContext(),
        payload: { inquiry_id: input.inquiryId, reason: input.reason },
      },
      { stream: LOAN_STREAM, idempotencyKey: step.businessKey() },
    ),
  ]);
}
