// The alert rule, with its guard against sparse traffic. Boots are rare: one failure among five
// boots is a 20% error ratio, a 200x burn against 99.9%, and the classic multiwindow rule would page
// on it. The guard asks whether the version's recent history holds enough evidence; it is written
// in counts and arithmetic only, so that the generated Prometheus rules express exactly the same
// rule in PromQL.
//
// For a tier with burn factor f and error budget b = 1 - objective, the threshold ratio is r = f*b.
// With E = max(long window, evidence window) (1d by default), the tier fires when
//   errors(long)/events(long) > r  AND  errors(short)/events(short) > r        (classic)
//   AND ( events(long) >= n_min                                             (enough events)
//         OR wilsonLowerBound(errors(E), events(E), z) > r )                (or enough evidence)
// with n_min = ceil(1/r): below n_min events one single error already exceeds r, so the ratio
// alone cannot tell a bad image from bad luck. With enough events the classic rule applies
// unchanged; with fewer, the errors of the evidence window must make a true error ratio above r
// likely (z = 3: about 99.87% one-sided confidence). Judged over a day, a new version's evidence is
// its whole short history, while a version with a day of good boots needs sustained failures
// before one can page. The README's "Alerting on sparse boots" has the reasoning and an example.
import { budgetRatio, errorRatio, type WindowCounts } from './budget.js';
import { DefaultSparseZ } from './model.js';

export type { WindowCounts } from './budget.js';

/** The error ratio above which a tier's burn rate exceeds its factor: r = factor * (1 - objective). */
export function tierThresholdRatio(factor: number, objective: number): number {
  return factor * budgetRatio(objective);
}

/**
 * The fewest events in which one single error does not exceed r: the smallest n with 1/n <= r,
 * i.e. ceil(1/r). Example: the 1h page tier of a 99.9% SLO has r = 14.4 * 0.001 = 0.0144, so
 * n_min = ceil(69.44) = 70 boots. A tolerance of 1e-9 keeps binary rounding from adding one
 * (1 / (1 * 0.001) must give 1000, not 1001). An r of 1 or more gives 1.
 */
export function minEventsForClassic(thresholdRatio: number): number {
  if (!(thresholdRatio > 0)) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.ceil(1 / thresholdRatio - 1e-9));
}

/**
 * The Wilson score interval's lower bound for a binomial proportion (Wilson, 1927):
 *   (p + z²/(2n) - z * sqrt(p(1-p)/n + z²/(4n²))) / (1 + z²/n),  p = errors / n
 * 0 without events. Example: 2 errors in 10 boots, z = 3: p = 0.2,
 * (0.2 + 0.45 - 3 * sqrt(0.016 + 0.0225)) / 1.9 = 0.0614 / 1.9 = 0.0323.
 */
export function wilsonLowerBound(errors: number, events: number, z: number): number {
  if (!(events > 0)) return 0;
  const p = errors / events;
  const z2 = z * z;
  const centre = p + z2 / (2 * events);
  const spread = z * Math.sqrt((p * (1 - p)) / events + z2 / (4 * events * events));
  // At p = 0 centre and spread are equal: the bound is 0, not a rounding error below it.
  return Math.max(0, (centre - spread) / (1 + z2 / events));
}

export interface AlertInput {
  /** The tier's burn-rate factor (tiers.ts). */
  factor: number;
  /** The SLO objective as a ratio (0.999). */
  objective: number;
  long: WindowCounts;
  short: WindowCounts;
  /** Counts of the evidence window, max(long window, the SLO's evidence window). */
  evidence: WindowCounts;
  /** Wilson z; DefaultSparseZ (3) unless the SLO says otherwise. */
  z?: number;
}

export interface AlertDecision {
  firing: boolean;
  /** r = factor * (1 - objective). */
  thresholdRatio: number;
  /** n_min = ceil(1/r). */
  minEvents: number;
  longRatio: number | null;
  shortRatio: number | null;
  /** Both windows' error ratios above r. */
  classic: boolean;
  /** Wilson lower bound of the evidence window's error ratio. */
  wilsonLower: number;
  /** Why the long window was trusted: enough events, enough evidence, or not at all. */
  trust: 'events' | 'confidence' | 'none';
}

/**
 * The rule on plain counts, for the evaluation loop (no objects): whether the tier fires, given r
 * and n_min precomputed. alertDecision() answers the same with every part shown.
 */
export function tierFires(
  r: number,
  minEvents: number,
  z: number,
  long: WindowCounts,
  short: WindowCounts,
  evidence: WindowCounts,
): boolean {
  if (!(long.events > 0 && short.events > 0)) return false;
  if (!(long.errors / long.events > r && short.errors / short.events > r)) return false;
  return long.events >= minEvents || wilsonLowerBound(evidence.errors, evidence.events, z) > r;
}

/** The rule above, with its parts, for the API and for tests. */
export function alertDecision(input: AlertInput): AlertDecision {
  const z = input.z ?? DefaultSparseZ;
  const r = tierThresholdRatio(input.factor, input.objective);
  const minEvents = minEventsForClassic(r);
  const longRatio = errorRatio(input.long);
  const shortRatio = errorRatio(input.short);
  const classic = longRatio !== null && shortRatio !== null && longRatio > r && shortRatio > r;
  const wilsonLower = wilsonLowerBound(input.evidence.errors, input.evidence.events, z);
  const trust = input.long.events >= minEvents ? 'events' : wilsonLower > r ? 'confidence' : 'none';
  return {
    firing: tierFires(r, minEvents, z, input.long, input.short, input.evidence),
    thresholdRatio: r,
    minEvents,
    longRatio,
    shortRatio,
    classic,
    wilsonLower,
    trust,
  };
}

/** Whether a tier fires. */
export function shouldAlert(input: AlertInput): boolean {
  return alertDecision(input).firing;
}
