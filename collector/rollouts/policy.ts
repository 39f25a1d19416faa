// A rollout's verdict policy: every default in one object, with its unit and why. A pipeline may
// override any of them per rollout; resolvePolicy() checks the result once and freezes it.
import { BootwatchError } from '../../shared/errors.js';
import type { SpendingShape } from './alpha-spending.js';

export interface FalseRollbackBudget {
  /** Fisher's test, candidate against baseline (fisher-exact.ts). */
  bootSuccessVsBaseline: number;
  /** The binomial test against the SLO's allowed ratio (slo-binomial.ts). */
  bootSuccessVsSlo: number;
  /** Mann-Whitney on time to ready (against the baseline, or the readiness SLO without one). */
  timeToReady: number;
}

export interface VerdictPolicy {
  /** ms. The planned canary: the information horizon over which each test spends its alpha. */
  canaryDurationMs: number;
  /** ms. No promote before the canary has run this long. */
  minCanaryDurationMs: number;
  /** boots. No promote before each side has this many boots in scope. */
  minBootsPerSide: number;
  /** Probabilities, summed over the whole canary and all its looks. */
  falseRollback: FalseRollbackBudget;
  spending: SpendingShape;
  /** ms. A time-to-ready regression smaller than this is not a rollback, however significant. */
  readyToleranceMs: number;
  /** Ratio of the baseline's median time to ready; the tolerance is the larger of the two. */
  readyToleranceRatio: number;
  /**
   * Probability. The level of the baseline guard's two tests (baseline-guard.ts): the candidate's
   * SLO test counts only while the baseline is not shown above the allowed ratio and is shown
   * below the candidate's.
   */
  baselineBreachP: number;
  /** Ratio of the error budget: no promote while the candidate has less left than this. */
  budgetFloor: number;
  /** Whether the image scan's vulnerability gate must pass before a promote. */
  requireScan: boolean;
}

export const DefaultVerdictPolicy: Readonly<VerdictPolicy> = Object.freeze({
  // 2 h: a typical canary phase of an Auto Scaling group rollout, long enough for a group that
  // replaces an instance a minute to give each side 100+ boots.
  canaryDurationMs: 2 * 3_600_000,
  // 30 min: a quarter of the canary, so that a promote has seen more than one wave of launches
  // (a boot regression often depends on the hour: warm pools, capacity, package mirrors).
  minCanaryDurationMs: 30 * 60_000,
  // 50 boots: below this a rank test cannot see a moderate slowdown, and no test can tell a 0.1%
  // failure ratio from 2%. It is also the size from which U is judged by its normal approximation.
  minBootsPerSide: 50,
  // 2% in all, the confidence at which Kayenta judges a canary (98%), split between the three
  // tests that can roll back: half for time to ready, a quarter each for boot success.
  falseRollback: Object.freeze({
    bootSuccessVsBaseline: 0.005,
    bootSuccessVsSlo: 0.005,
    timeToReady: 0.01,
  }),
  spending: 'pocock',
  // 10 s or 10% of the baseline's median: below that, a slower boot costs less than the rollout.
  readyToleranceMs: 10_000,
  readyToleranceRatio: 0.1,
  // 5%: one baseline failure among 200 boots (p = 0.18) is a healthy baseline's luck; two
  // (p = 0.017) are a baseline in trouble, whose failures the candidate shares.
  baselineBreachP: 0.05,
  // 0: no promote of a version that has spent its whole budget (the SRE book's release freeze).
  budgetFloor: 0,
  requireScan: false,
}) as Readonly<VerdictPolicy>;

export type PolicyOverrides = Partial<Omit<VerdictPolicy, 'falseRollback'>> & {
  falseRollback?: Partial<FalseRollbackBudget>;
};

function invalid(field: string, expected: string, value: unknown): BootwatchError {
  return new BootwatchError(
    'BW_CONFIG_INVALID',
    `verdict policy: ${field} must be ${expected}, got ${JSON.stringify(value)}`,
  );
}

function positive(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(field, 'a positive number', value);
  }
}

function nonNegative(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(field, 'a number >= 0', value);
  }
}

/** The defaults with `overrides` applied, checked, frozen. Throws BW_CONFIG_INVALID. */
export function resolvePolicy(overrides: PolicyOverrides = {}): Readonly<VerdictPolicy> {
  const p: VerdictPolicy = {
    ...DefaultVerdictPolicy,
    ...overrides,
    falseRollback: { ...DefaultVerdictPolicy.falseRollback, ...overrides.falseRollback },
  };
  positive('canaryDurationMs', p.canaryDurationMs);
  nonNegative('minCanaryDurationMs', p.minCanaryDurationMs);
  if (!Number.isInteger(p.minBootsPerSide) || p.minBootsPerSide < 1) {
    throw invalid('minBootsPerSide', 'a whole number >= 1', p.minBootsPerSide);
  }
  for (const [name, alpha] of Object.entries(p.falseRollback)) {
    if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 0.5)) {
      throw invalid(`falseRollback.${name}`, 'a probability between 0 and 0.5', alpha);
    }
  }
  if (p.spending !== 'pocock' && p.spending !== 'obrien-fleming') {
    throw invalid('spending', "'pocock' or 'obrien-fleming'", p.spending);
  }
  if (
    typeof p.baselineBreachP !== 'number' ||
    !(p.baselineBreachP >= 0 && p.baselineBreachP <= 1)
  ) {
    throw invalid('baselineBreachP', 'a probability between 0 and 1', p.baselineBreachP);
  }
  nonNegative('readyToleranceMs', p.readyToleranceMs);
  nonNegative('readyToleranceRatio', p.readyToleranceRatio);
  if (typeof p.budgetFloor !== 'number' || !(p.budgetFloor <= 1) || Number.isNaN(p.budgetFloor)) {
    throw invalid('budgetFloor', 'a ratio of at most 1', p.budgetFloor);
  }
  if (typeof p.requireScan !== 'boolean')
    throw invalid('requireScan', 'true or false', p.requireScan);
  return Object.freeze({ ...p, falseRollback: Object.freeze(p.falseRollback) });
}
