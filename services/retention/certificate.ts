import { foldDigests, signPurgeCertificate } from '../../core/retention/certificate';
import { createHead } from '../../ledger/head';
import { COMPLIANCE_STREAM, type ClassPurgeSummary, type PurgeCertificate } from '../../core/retention/types';
import type { Signer } from '../../core/signing';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import type { AuditStamp } from '../audit-stamp';
import { previewClass } from './preview';
import { batchRecords } from './purge';

export interface IssueCertificateInput {
  purgeRunId: string;
  asOf: string;
  requestedBy: string;
  dataClasses: string[];
}

/**
 * Builds the purge certificate from the committed batch records (not from what a worker
 * believes it did, so a crash cannot skew it), signs it with Ed25519 and writes it to the
 * ledger as `retention.purge_certificate`, then signs a ledger head over it. Idempotent per purge run.
 */
export async function issuePurgeCertificate(
  deps: { db: Database; ledger: Ledger; signer: Signer },
  input: IssueCertificateInput,
  stamp: AuditStamp,
): Promise<{ stream: string; seq: number; keyId: string; totals: PurgeCertificate['totals'] }> {
  const records = await batchRecords(deps.db, input.purgeRunId);
  const classes: ClassPurgeSummary[] = [];
  const blocking: PurgeCertificate['blocking_holds'] = [];
  let held = 0;
  for (const dataClass of input.dataClasses) {
    const rs = records.filter((r) => r.dataClass === dataClass);
    const withRows = rs.filter((r) => r.purged > 0);
    const preview = await previewClass(deps.db, dataClass, input.asOf);
    held += preview.held;
    for (const h of preview.holds) blocking.push({ data_class: dataClass, ...h });
    const times = withRows
      .flatMap((r) => [r.minTs, r.maxTs])
      .filter((t): t is string => Boolean(t))
      .sort();
    classes.push({
      dataClass,
      action: dataClass === 'ledger_payloads' ? 'purge_payload' : 'delete',
      purged: rs.reduce((n, r) => n + r.purged, 0),
      batches: rs.length,
      heldSkippedLate: rs.reduce((n, r) => n + r.heldSkipped, 0),
      firstKey: withRows[0]?.firstKey ?? null,
      lastKey: withRows[withRows.length - 1]?.lastKey ?? null,
      minTs: times[0] ?? null,
      maxTs: times[times.length - 1] ?? null,
      digest: foldDigests(rs.map((r) => r.digest)),
      policyVersions: rs[0]?.policyVersions ?? preview.policy_versions,
      digestVersions: [...new Set(withRows.map((r) => r.digestVersion))].sort((a, b) => a - b),
    });
  }
  const certificate: PurgeCertificate = {
    type: 'ledgerflow.purge_certificate',
    version: 2,
    purge_run_id: input.purgeRunId,
    workflow: { workflow_id: stamp.workflowId, run_id: stamp.runId },
    as_of: input.asOf,
    issued_at: new Date().toISOString(),
    requested_by: input.requestedBy,
    classes,
    totals: { purged: classes.reduce((n, c) => n + c.purged, 0), held },
    blocking_holds: blocking,
    method:
      'ledger payloads: payload and salt deleted, event and payload digest kept (NIST SP 800-88 "clear" of the ' +
      'logical record); business classes: rows deleted. Batch digests, in key order, by the version each class ' +
      'lists in digestVersions: 1 = SHA-256 over "<key> <content sha256>\\n" per item; 2 = SHA-256 over the ' +
      "items' 32-byte content digests (a payload: its event's payload digest; a business row: SHA-256 of its " +
      "binary record form); 3 = SHA-256 over the business rows' binary record forms concatenated; folded by " +
      'SHA-256 over the batch digests in batch order.',
  };
  const signed = signPurgeCertificate(certificate, deps.signer);
  const { context, idempotencyKey } = stamp.step(`purge-certificate:${input.purgeRunId}`);
  const r = await deps.ledger.append(
    {
      event_type: 'retention.purge_certificate',
      actor: { type: 'workflow', id: stamp.actorId },
      resource: { type: 'purge_run', id: input.purgeRunId },
      action: 'certify',
      outcome: 'success',
      context,
      payload: { ...signed },
    },
    { stream: COMPLIANCE_STREAM, idempotencyKey },
  );
  // A signed root over the purge events, so the purged payloads are provable right away (an
  // export or a full verify needs no hand-made head first).
  await createHead(deps.ledger.db, deps.signer);
  return { stream: r.stream, seq: r.seq, keyId: deps.signer.keyId, totals: certificate.totals };
}
