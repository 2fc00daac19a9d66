import { feedScenario } from './feed';
import { ledgerSealScenario } from './ledger-seal';
import { loanScenarios } from './loan-scenarios';
import { monitoringScenario } from './monitoring';
import { onboardingSmokeScenario } from './onboarding-smoke';
import { postureScenario } from './posture';
import type { DemoScenario } from './types';

/** What `ledgerflow demo` runs, in order. */
export const demoScenarios: DemoScenario[] = [
  onboardingSmokeScenario,
  ...loanScenarios,
  monitoringScenario,
  feedScenario,
  postureScenario,
  ledgerSealScenario,
];
