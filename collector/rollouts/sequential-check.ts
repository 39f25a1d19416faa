// How a check reports its sequential test: the same figures and the same words for each.
import type { LookResult } from './alpha-spending.js';
import type { SequentialFigures } from './verdict-model.js';
import { probability } from './wording.js';

export function sequentialFigures(
  p: number,
  look: LookResult,
  alpha: number,
  conditionMet: boolean,
): SequentialFigures {
  return {
    p,
    level: look.level,
    spent: look.ledger.spent,
    alpha,
    conditionMet,
    rejectedAtMs: look.ledger.rejectedAtMs,
  };
}

/** "p 0.0031 > this look's level 2.1e-4", or why this look did not test. */
export function sequentialDetail(p: number, look: LookResult): string {
  if (look.rejected && !look.tested) return 'rejected at an earlier look: the decision stands';
  if (!look.tested) return `p ${probability(p)}; no new boots to test, nothing spent`;
  return `p ${probability(p)} ${p <= look.level ? '<=' : '>'} this look's level ${probability(look.level)}`;
}
