import type { z } from 'zod';
import type { TimedTransaction } from './transaction';

/** What a rule sees: the transaction and the account's earlier evaluated transactions. */
export interface RuleInput {
  tx: TimedTransaction;
  /** Earlier transactions of the account in event-time order (within the engine's lookback). */
  history: readonly TimedTransaction[];
  /** When each counterparty of the account was first seen (epoch ms), before `tx`. */
  firstSeen: ReadonlyMap<string, number>;
  /** The account's last activity before `tx` (epoch ms), also beyond the lookback; null if none. */
  lastActivityAt: number | null;
}

/** A number, or named numbers for rules with several conditions. */
export type Measure = number | null | Record<string, number | null>;

/** One rule's answer for one transaction. */
export interface RuleOutcome {
  value: Measure;
  threshold: Measure;
  result: boolean;
  /** The transactions that made the rule fire (or that it counted). */
  evidence: string[];
  /** Start of the window the rule looked at (epoch ms): the alert snapshot covers it. */
  windowStart: number;
}

/** A rule answers one question about a transaction; its parameters are versioned config. */
export interface RuleDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  /** Bumped when the code's meaning changes (recorded next to the config version). */
  codeVersion: number;
  question: string;
  params: z.ZodType<P>;
  defaults: P;
  evaluate(input: RuleInput, params: P): RuleOutcome;
}

export const HOUR = 3_600_000;

/** Transactions of `history` plus `tx` within `hours` before `tx` (inclusive), matching `keep`. */
export function inWindow(
  input: RuleInput,
  hours: number,
  keep: (t: TimedTransaction) => boolean,
): TimedTransaction[] {
  const from = input.tx.at - hours * HOUR;
  return [...input.history.filter((t) => t.at >= from && t.at <= input.tx.at), input.tx].filter(keep);
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;
