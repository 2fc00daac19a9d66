import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../core/screening/config';
import { normalizeName, type EntityKind } from '../core/screening/normalize';
import { scoreNames } from '../core/screening/score';
import { editDistance, tokenSimilarity } from '../core/screening/similarity';

// Names invented for each rule (general name-matching cases, not list entries).
const review = DEFAULT_THRESHOLDS.review;
const score = (a: string, b: string, kind: EntityKind = 'unknown') =>
  scoreNames(normalizeName(a, kind), normalizeName(b, kind));

describe('Latin name-matching rules (lf-match-1.3.0)', () => {
  it('pairs a glued token with all its parts, not with the first part alone', () => {
    const s = score('Karlheinz Dobrowski', 'Karl Heinz Dobrowski');
    expect(s.score).toBeGreaterThan(0.95);
    expect(s.pairs).toContainEqual(
      expect.objectContaining({ query: 'karlheinz', candidate: 'karl heinz', kind: 'glued' }),
    );
    expect(score('Tomas Kowal czyk', 'Tomas Kowalczyk').score).toBeGreaterThan(0.95);
  });

  it('removes the longest legal phrase ("Open Joint Stock Company", not "Joint Stock Company" leaving "open")', () => {
    const s = score('Open Joint Stock Company Severny Vektor', 'OAO Severny Vektor', 'organization');
    expect(s.unmatchedQuery).toEqual([]);
    expect(s.score).toBe(1);
  });

  it('matches dotted initials against a hyphenated given name and an abbreviation against the words it shortens', () => {
    expect(score('J.-P. Moreau', 'Jean-Pierre Moreau').score).toBeGreaterThanOrEqual(review);
    expect(
      score('U.N. Relief Agency', 'United Nations Relief Agency', 'organization').score,
    ).toBeGreaterThanOrEqual(review);
    // Undotted letters stand for words only between organisations.
    expect(score('NLF', 'National Liberation Front', 'organization').score).toBeGreaterThanOrEqual(review);
    expect(score('NLF', 'Nadia Lopez Fernandez', 'person').score).toBeLessThan(review);
  });

  it('treats a patronymic or the inner links of a genealogy as optional, unless the other name contradicts them', () => {
    expect(score('Pavel Sidorenko', 'Pavel Andreyevich Sidorenko').score).toBeGreaterThan(0.95);
    expect(score('Pavel Andreyevich Sidorenko', 'Pavel Igorevich Sidorenko').score).toBeLessThan(review);
    expect(score('Salim bin Harbi', 'Salim bin Khalid bin Nasser Harbi').score).toBeGreaterThan(0.95);
    expect(score('Salim bin Khalid Harbi', 'Salim bin Yusuf bin Nasser Harbi').score).toBeLessThan(review);
  });

  it('compares two names written in the same non-Latin script by their letters, not their romanisation', () => {
    // Hangul 종/정 both romanise "jong"; Han 石/市 both "shi".
    expect(score('김종은', '김정은').score).toBeLessThan(review);
    expect(score('高石早苗', '高市早苗').score).toBeLessThan(review);
    expect(score('김정은', '김정은').score).toBe(1);
    // A typo in Cyrillic is still a typo.
    expect(score('Владимир Путн', 'Владимир Путин').score).toBeGreaterThanOrEqual(review);
  });

  it('does not take spellings 3+ edits apart for a typo (Fernandinho / Fernando), but keeps one- and two-edit typos', () => {
    expect(editDistance('fernandinho', 'fernando', 9)).toBe(3);
    expect(editDistance('fernadno', 'fernando', 9)).toBe(1);
    expect(score('Lucia Fernandinho', 'Lucia Fernando').score).toBeLessThan(review);
    expect(score('Lucia Fernadno', 'Lucia Fernando').score).toBeGreaterThanOrEqual(review);
    expect(score('Lucia Fernandes', 'Lucia Fernando').score).toBeGreaterThanOrEqual(review);
    const t = (x: string) => normalizeName(x).tokens[0]!;
    expect(tokenSimilarity(t('fernandinho'), t('fernando')).score).toBeLessThanOrEqual(0.85);
  });
});
