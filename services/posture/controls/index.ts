import type { PostureControl } from '../control';
import { appRolesLeastPrivilege } from './app-roles-least-privilege';
import { dormantAccess } from './dormant-access';
import { ledgerAppendOnly } from './ledger-append-only';
import { legalHoldsOwned } from './legal-holds-owned';
import { purgeNotOverdue } from './purge-not-overdue';
import { retentionCoverage } from './retention-coverage';
import { schedulesActive } from './schedules-active';
import { signingKeyRotation } from './signing-key-rotation';
import { verificationRecent } from './verification-recent';
import { witnessPublished } from './witness-published';

/** Every posture control, in report order. A new control is one file in this folder plus one line here. */
export const CONTROLS: PostureControl[] = [
  ledgerAppendOnly,
  appRolesLeastPrivilege,
  retentionCoverage,
  verificationRecent,
  purgeNotOverdue,
  legalHoldsOwned,
  signingKeyRotation,
  dormantAccess,
  schedulesActive,
  witnessPublished,
];
