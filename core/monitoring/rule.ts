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

/** Index of the first transaction of `history` (in event-time order) at or after `from` (binary search). */
export function firstAtOrAfter(history: readonly TimedTransaction[], from: number): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((history[mid] as TimedTransaction).at < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Earlier transactions of `history` from `from` up to `tx` (inclusive). */
export function historySince(input: RuleInput, from: number): TimedTransaction[] {
  const out: TimedTransaction[] = [];
  const h = input.history;
  for (let i = firstAtOrAfter(h, from); i < h.length && (h[i] as TimedTransaction).at <= input.tx.at; i++)
    out.push(h[i] as TimedTransaction);
  return out;
}

/** Transactions of `history` plus `tx` within `hours` before `tx` (inclusive), matching `keep`. */
export function inWindow(
  input: RuleInput,
  hours: number,
  keep: (t: TimedTransaction) => boolean,
): TimedTransaction[] {
  const out = historySince(input, input.tx.at - hours * HOUR).filter(keep);
  if (keep(input.tx)) out.push(input.tx);
  return out;
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;
