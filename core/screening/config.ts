import { DEFAULT_SCORER_PARAMS, type ScorerParams } from './score';

/**
 * Version of the normalisation + scoring logic. Bump whenever scores can change, so that
 * every stored result and ledger event says which matcher produced it.
 */
export const MATCHER_VERSION = 'lf-match-1.3.0';

export interface Thresholds {
  /** Score at or above which a hit blocks. */
  block: number;
  /** Score at or above which a hit goes to review (below: clear). */
  review: number;
}

/**
 * Chosen on the even data rows (0, 2, 4...) of name_pairs_labelled.csv only: the review
 * threshold is the highest one whose F1 there is within 0.002 of the best (the top of the F1
 * plateau); the odd rows are the check. See README "Sanctions screening" and bench/screening.ts.
 */
export const DEFAULT_THRESHOLDS: Thresholds = { block: 0.95, review: 0.82 };

export interface AdjustmentParams {
  dobMatch: number;
  dobMismatch: number;
  /** Years of difference still counted as the same birth year (typos, approximate dates). */
  dobToleranceYears: number;
  countryMatch: number;
  countryMismatch: number;
  kindMismatch: number;
}

export const DEFAULT_ADJUSTMENTS: AdjustmentParams = {
  dobMatch: 0.02,
  dobMismatch: -0.04,
  dobToleranceYears: 1,
  countryMatch: 0.02,
  countryMismatch: -0.02,
  kindMismatch: -0.08,
};

export interface MatcherConfig {
  thresholds: Thresholds;
  scorer: ScorerParams;
  adjustments: AdjustmentParams;
  /** Hits returned per query at most. */
  maxHits: number;
  /** Cross-script rules (Arabic romanisation, phonetic keys); false only for the benchmark's baseline. */
  transliterate?: boolean;
}

export const DEFAULT_MATCHER_CONFIG: MatcherConfig = {
  thresholds: DEFAULT_THRESHOLDS,
  scorer: DEFAULT_SCORER_PARAMS,
  adjustments: DEFAULT_ADJUSTMENTS,
  maxHits: 10,
};

/** Validates thresholds: 0 <= review <= block <= 1. */
export function checkThresholds(t: Thresholds): string | null {
  if (!(t.review >= 0 && t.review <= 1 && t.block >= 0 && t.block <= 1))
    return 'thresholds must lie in [0,1]';
  if (t.review > t.block) return 'the review threshold must not exceed the block threshold';
  return null;
}

export function decide(score: number, t: Thresholds): 'block' | 'review' | 'clear' {
  return score >= t.block ? 'block' : score >= t.review ? 'review' : 'clear';
}
