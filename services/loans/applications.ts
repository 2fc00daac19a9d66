import { createHash, randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { desc, eq } from 'drizzle-orm';
import {
  loanOriginationWorkflow,
  loanStateQuery,
  submitReviewUpdate,
  type LoanOriginationWorkflow,
  type LoanState,
  type LoanWorkflowInput,
  type ReviewDecision,
} from '../../contracts/loan-origination';
import { startWorkflow } from '../../contracts/workflow-ref';
import { canonicalJson } from '../../core/canonical-json';
import { LoanApplicationFileSchema, type LoanApplicationFile } from '../../core/loan-application-file';
import type { Database } from '../../db/client';
import { loanApplications } from '../../db/schema';
import { requirePrincipal } from '../principals/principals';
import { recordUpdateAuthorized, recordWorkflowStart } from '../principals/workflow-starts';
import { createLedger, type Ledger } from '../../ledger/ledger';

/** A request about an application that its state does not allow (e.g. reviewing a decided one). */
export class LoanStateError extends Error {
  readonly code = 'LOAN_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'LoanStateError';
  }
}

/** The application file does not validate; `fields` has one message per field. Nothing was written. */
export class InvalidApplicationError extends Error {
  readonly code = 'INVALID_APPLICATION';
  constructor(readonly fields: Array<{ field: string; message: string }>) {
    super(`invalid application: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`);
    this.name = 'InvalidApplicationError';
  }
}

/** Validates an application file with field-level messages. */
export function parseApplicationFile(raw: unknown): LoanApplicationFile {
  const r = LoanApplicationFileSchema.safeParse(raw);
  if (r.success) return r.data;
  throw new InvalidApplicationError(
    r.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })),
  );
}

/** Workflow options a caller may set (tests and demos shorten SLAs and retries). */
export type LoanRunOptions = Pick<
  LoanWorkflowInput,
  'reviewSla' | 'providerRetry' | 'archiveHistory' | 'ruleSetVersion'
>;

export interface LoanDeps {
  db: Database;
  client: Client;
  taskQueue: string;
  /** Where the authorized start is recorded (default: a ledger over `db`, without checkpoint signing). */
  ledger?: Ledger;
}

/**
 * Submits an application as principal `as` (the CLI resolves `--as` / LEDGERFLOW_PRINCIPAL): validates the file (zod, field-level messages in InvalidApplicationError, before
 * anything is written), checks the principal, stores the personal data in PostgreSQL and starts
 * `loanOrigination` with workflow id = application id. A duplicate submission (same file)
 * returns the existing workflow, running or closed; a different file under a known id is refused.
 */
export async function submitLoanApplication(
  deps: LoanDeps,
  rawFile: unknown,
  as: string | undefined,
  options: LoanRunOptions = {},
): Promise<{
  applicationId: string;
  runId: string;
  duplicate: boolean;
  handle: WorkflowHandle<LoanOriginationWorkflow>;
}> {
  const file = parseApplicationFile(rawFile);
  const principal = await requirePrincipal(deps.db, as, 'loan.start');
  return startLoanApplication(deps, file, principal.id, options);
}

/**
 * {@link submitLoanApplication} for a caller already authorized elsewhere (the HTTP API checks
 * the key's role and grants): stores the validated file and starts or finds its workflow,
 * recording `submittedBy` as the requester.
 */
export async function startLoanApplication(
  deps: LoanDeps,
  file: LoanApplicationFile,
  submittedBy: string,
  options: LoanRunOptions = {},
): Promise<{
  applicationId: string;
  runId: string;
  duplicate: boolean;
  handle: WorkflowHandle<LoanOriginationWorkflow>;
}> {
  const principal = { id: submittedBy };
  const digest = createHash('sha256').update(canonicalJson(file)).digest('hex');
  const inserted = await deps.db
    .insert(loanApplications)
    .values({
      id: file.applicationId,
      applicant: file.applicant,
      companyRegistrationNumber: file.company.registrationNumber,
      amount: String(file.loan.amount),
      currency: file.loan.currency,
      termMonths: file.loan.termMonths,
      purpose: file.loan.purpose,
      fileDigest: digest,
      submittedBy: principal.id,
    })
    .onConflictDoNothing()
    .returning({ id: loanApplications.id });
  if (inserted.length === 0) {
    const [existing] = await deps.db
      .select({ digest: loanApplications.fileDigest })
      .from(loanApplications)
      .where(eq(loanApplications.id, file.applicationId));
    if (existing?.digest !== digest) {
      throw new LoanStateError(
        `application ${file.applicationId} already exists with different content; use a new applicationId`,
      );
    }
  }
  const input: LoanWorkflowInput = {
    applicationId: file.applicationId,
    requestedBy: principal.id,
    companyRegistrationNumber: file.company.registrationNumber,
    amount: file.loan.amount,
    currency: file.loan.currency,
    termMonths: file.loan.termMonths,
    ...options,
  };
  // The starter is bound to the workflow before it starts: its activities act for this principal.
  await recordWorkflowStart(deps.ledger ?? createLedger(deps.db), {
    principalId: principal.id,
    action: 'loan.start',
    workflowId: file.applicationId,
    workflowType: loanOriginationWorkflow.name,
  });
  let handle: WorkflowHandle<LoanOriginationWorkflow>;
  let runId: string;
  let duplicate = inserted.length === 0;
  try {
    const started = await startWorkflow(deps.client, loanOriginationWorkflow, {
      taskQueue: deps.taskQueue,
      workflowId: file.applicationId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    // With USE_EXISTING this is the run that is already going.
    handle = started;
    runId = started.firstExecutionRunId;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    handle = deps.client.workflow.getHandle(file.applicationId);
    runId = (await handle.describe()).runId;
    duplicate = true;
  }
  return { applicationId: file.applicationId, runId, duplicate, handle };
}

export interface LoanStatusView {
  applicationId: string;
  status: string;
  decision: string | null;
  decidedBy: string | null;
  submittedBy: string;
  amount: string;
  currency: string;
  workflow: { status: string; runId: string } | null;
  state?: LoanState;
}

/** Status from PostgreSQL, plus the workflow's own view (query) while Temporal still has it. */
export async function getLoanStatus(deps: Omit<LoanDeps, 'taskQueue'>, id: string): Promise<LoanStatusView> {
  const [row] = await deps.db.select().from(loanApplications).where(eq(loanApplications.id, id));
  if (!row) throw new LoanStateError(`no application "${id}"`);
  const view: LoanStatusView = {
    applicationId: row.id,
    status: row.status,
    decision: row.decision,
    decidedBy: row.decidedBy,
    submittedBy: row.submittedBy,
    amount: row.amount,
    currency: row.currency,
    workflow: null,
  };
  try {
    const handle = deps.client.workflow.getHandle(id);
    const d = await handle.describe();
    view.workflow = { status: d.status.name, runId: d.runId };
    view.state = await handle.query(loanStateQuery);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError) && view.workflow === null) throw err;
  }
  return view;
}

/**
 * A reviewer's decision through the `submitReview` Update. Refused plainly when the application
 * is already decided (closed workflow) or not awaiting review; the workflow's validator rejects
 * ineligible reviewers and bad input before anything is recorded.
 */
export async function reviewLoan(
  deps: Omit<LoanDeps, 'taskQueue'>,
  id: string,
  as: string | undefined,
  decision: ReviewDecision['decision'],
  reason: string,
): Promise<LoanState> {
  const reviewer = await requirePrincipal(deps.db, as, 'loan.review');
  const handle = deps.client.workflow.getHandle<LoanOriginationWorkflow>(id);
  const closed = async () => {
    const [row] = await deps.db.select().from(loanApplications).where(eq(loanApplications.id, id));
    return new LoanStateError(
      `application ${id} is already ${row?.decision ? `decided (${row.decision}, by ${row.decidedBy})` : `closed (${row?.status ?? 'unknown'})`}; a review can no longer change it`,
    );
  };
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new LoanStateError(`no application workflow "${id}"`);
    throw err;
  }
  if (status !== 'RUNNING') throw await closed();
  // The reviewer is bound to this Update: the activity writing the decision checks the record.
  const updateId = randomUUID();
  await recordUpdateAuthorized(deps.ledger ?? createLedger(deps.db), {
    principalId: reviewer.id,
    action: 'loan.review',
    workflowId: id,
    updateName: submitReviewUpdate.name,
    updateId,
  });
  try {
    return await handle.executeUpdate(submitReviewUpdate, {
      args: [{ reviewerId: reviewer.id, decision, reason }],
      updateId,
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new LoanStateError(`review refused: ${err.cause?.message ?? err.message}`);
    }
    if (err instanceof WorkflowNotFoundError || /already completed/i.test(String((err as Error).message)))
      throw await closed();
    throw err;
  }
}

/** The latest applications, newest first, from PostgreSQL. */
export async function listLoans(db: Database, limit = 50) {
  return db
    .select({
      id: loanApplications.id,
      status: loanApplications.status,
      decision: loanApplications.decision,
      decidedBy: loanApplications.decidedBy,
      amount: loanApplications.amount,
      currency: loanApplications.currency,
      submittedBy: loanApplications.submittedBy,
      createdAt: loanApplications.createdAt,
    })
    .from(loanApplications)
    .orderBy(desc(loanApplications.createdAt))
    .limit(limit);
}
