import { z } from 'zod';
import { JsonValueSchema } from '../json-value';

/** Posture controls, their evidence and the report (pure data: shared by services, workflows and the CLI). */

/** A reference to a requirement of a compliance framework. */
export const FrameworkRefSchema = z
  .object({
    framework: z.enum(['SOC 2', 'PCI DSS v4.0', 'HIPAA', 'GDPR']),
    ref: z.string().min(1),
  })
  .strict();
export type FrameworkRef = z.infer<typeof FrameworkRefSchema>;

/** The frameworks' requirements the controls map to, named once. */
export const FRAMEWORK = {
  soc2CC61: { framework: 'SOC 2', ref: 'CC6.1' },
  soc2CC72: { framework: 'SOC 2', ref: 'CC7.2' },
  pci102: { framework: 'PCI DSS v4.0', ref: '10.2' },
  pci103: { framework: 'PCI DSS v4.0', ref: '10.3' },
  pci104: { framework: 'PCI DSS v4.0', ref: '10.4' },
  pci105: { framework: 'PCI DSS v4.0', ref: '10.5' },
  pci106: { framework: 'PCI DSS v4.0', ref: '10.6' },
  pci107: { framework: 'PCI DSS v4.0', ref: '10.7' },
  hipaaAudit: { framework: 'HIPAA', ref: '164.312(b)' },
  gdprStorage: { framework: 'GDPR', ref: 'art. 5(1)(e)' },
  gdprErasure: { framework: 'GDPR', ref: 'art. 17' },
} as const satisfies Record<string, FrameworkRef>;

/** What a control is, as data: stable id, title, what it checks and the requirements it evidences. */
export const ControlDefinitionSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'control ids are lower-kebab-case'),
    title: z.string().min(1),
    description: z.string().min(1),
    frameworks: z.array(FrameworkRefSchema).min(1),
  })
  .strict();
export type ControlDefinition = z.infer<typeof ControlDefinitionSchema>;

/** How a control was checked: the query or probe, what it observed and when. */
export const EvidenceSchema = z
  .object({
    probe: z.string().min(1),
    observed: JsonValueSchema,
    at: z.string(),
  })
  .strict();
export type Evidence = z.infer<typeof EvidenceSchema>;

/** pass; fail (the system is out of policy); error (the probe itself could not run: also a failure). */
export const ControlStatusSchema = z.enum(['pass', 'fail', 'error']);
export type ControlStatus = z.infer<typeof ControlStatusSchema>;

/** The verdict of a control's pure evaluation of its evidence. */
export interface Evaluation {
  status: 'pass' | 'fail';
  detail: string;
}

export const ControlResultSchema = z
  .object({
    control: ControlDefinitionSchema,
    status: ControlStatusSchema,
    detail: z.string(),
    evidence: EvidenceSchema,
  })
  .strict();
export type ControlResult = z.infer<typeof ControlResultSchema>;

/** The posture report (its canonical JSON is what is signed). */
export const PostureReportSchema = z
  .object({
    type: z.literal('ledgerflow.posture_report'),
    version: z.literal(1),
    generated_at: z.string(),
    requested_by: z.string().min(1),
    ok: z.boolean(),
    summary: z.object({ pass: z.number().int(), fail: z.number().int(), error: z.number().int() }).strict(),
    results: z.array(ControlResultSchema),
  })
  .strict();
export type PostureReport = z.infer<typeof PostureReportSchema>;

/** Builds the report from control results: ok only when every control passed. */
export function buildReport(
  results: ControlResult[],
  meta: { at: string; requestedBy: string },
): PostureReport {
  const count = (s: ControlStatus) => results.filter((r) => r.status === s).length;
  return {
    type: 'ledgerflow.posture_report',
    version: 1,
    generated_at: meta.at,
    requested_by: meta.requestedBy,
    ok: results.every((r) => r.status === 'pass'),
    summary: { pass: count('pass'), fail: count('fail'), error: count('error') },
    results,
  };
}
