// Error budget arithmetic over counts (Occurrences): divide good and total once, never average
// ratios. Every function answers null for an empty window instead of NaN, so that callers must say
// "no events" instead of printing NaN.

/** Events counted in a window and, of those, the bad ones (failed, or not ready in time). */
export interface WindowCounts {
  errors: number;
  events: number;
}

/**
 * The error budget as a ratio of events: 1 - objective, rounded to 12 digits so that 99.9% gives
 * exactly 0.001 (binary 1 - 0.999 is 0.0010000000000000009, which would print as such).
 */
export function budgetRatio(objective: number): number {
  return Math.round((1 - objective) * 1e12) / 1e12;
}

/** errors / events; null without events. */
export function errorRatio(c: WindowCounts): number | null {
  return c.events > 0 ? c.errors / c.events : null;
}

/**
 * How fast the window spends the budget: its error ratio over the budget ratio. 1 spends exactly
 * the whole budget over the SLO window. Example: 3 failures in 1,000 boots against 99.9%:
 * 0.003 / 0.001 = 3. A constant error ratio e burns at e / (1 - objective) over any window.
 */
export function burnRate(c: WindowCounts, objective: number): number | null {
  const ratio = errorRatio(c);
  return ratio === null ? null : ratio / budgetRatio(objective);
}

/**
 * The share of the SLO window's error budget left: 1 - errors / allowed errors, where allowed
 * errors = (1 - objective) * events. Negative once overspent (the size of the overrun matters);
 * null without events. Example: 99.9% over 20,000 boots allows 20 failures; 5 failures leave 0.75.
 */
export function budgetRemaining(c: WindowCounts, objective: number): number | null {
  if (!(c.events > 0)) return null;
  const allowed = budgetRatio(objective) * c.events;
  return 1 - c.errors / allowed;
}
