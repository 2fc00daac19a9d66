import { ledgerSealScenario } from './ledger-seal';
import { loanScenarios } from './loan-scenarios';
import { onboardingSmokeScenario } from './onboarding-smoke';
import type { DemoScenario } from './types';

/** What `ledgerflow demo` runs, in order. */
export const demoScenarios: DemoScenario[] = [onboardingSmokeScenario, ...loanScenarios, ledgerSealScenario];
