import { z } from 'zod';

/** What an analyst may decide about an alert (here, not in the workflow contract, so the CLI's help need not load Temporal). */
export const INVESTIGATION_DECISIONS = ['dismiss', 'escalate', 'file_report'] as const;
export const InvestigationDecisionSchema = z.enum(INVESTIGATION_DECISIONS);
