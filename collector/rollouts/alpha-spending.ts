// Repeated looks. A pipeline polls the verdict every minute of a two-hour canary: 120 looks. Were
// each look a fresh test at 1%, a version as good as its baseline would be rolled back far more
// often than 1% of the time, because each look is another chance for noise to cross the line.
//
// The verdict spends each test's false-rollback budget alpha over the canary instead (Lan and
// DeMets, 1983). The canary's planned duration is the information horizon: by information time
// t = elapsed / planned duration, at most alpha(t) may have been spent, alpha(1) = alpha. A look
// at t tests at the level alpha(t) minus what earlier looks spent, and rejects if p <= that level.
// The probability of any false rejection is at most the sum of the levels (the union bound), so
// at most alpha, however many looks there are and however strongly they depend on each other.
// That is the point here: the tests are exact and discrete (Fisher, binomial, exact U), where the
// usual group-sequential boundaries, computed for a normal statistic, do not hold. The price is
// conservatism: consecutive looks share most of their boots, and the union bound counts their
// risks as if they did not overlap. The seeded simulation (test/collector/rollouts/) measures
// what is left: well under the nominal rate.
//
// Looks that bring no new boots test nothing and spend nothing: their share of alpha waits for
// the next look with new boots. Past the horizon the whole alpha is spent, and a test can no
// longer reject: the canary has had its planned chances.
//
// Two spending shapes:
// - Pocock-type (the default): alpha(t) = alpha * ln(1 + (e - 1) t). It spends steadily, a little
//   faster early: overwhelming evidence rolls back at once (the first 10 candidate boots all fail:
//   Fisher p = 1 / C(20, 10) = 5.4e-6 against 10 good baseline boots; five minutes into a 2 h
//   canary at alpha = 0.005, one minute's share is 0.005 * ln(1 + 1.718 * 5/120) -
//   ln(1 + 1.718 * 4/120) = 6.7e-5 > 5.4e-6: rollback).
// - O'Brien-Fleming-type: alpha(t) = 2 - 2 Phi(z_{alpha/2} / sqrt(t)). Nearly nothing early, most
//   of alpha near the end. With the union bound it is too stingy for a canary: the same ten failed
//   boots at five minutes face a cumulative level of 5e-43.
import { normalUpperQuantile, normalUpperTail } from './normal-tail.js';

export type SpendingShape = 'pocock' | 'obrien-fleming';

/** The most of `alpha` that looks up to information time t (clamped to [0, 1]) may have spent. */
export function alphaSpent(alpha: number, t: number, shape: SpendingShape): number {
  const x = Math.min(1, Math.max(0, t));
  if (x === 0) return 0;
  if (x === 1) return alpha;
  if (shape === 'pocock') return alpha * Math.log(1 + (Math.E - 1) * x);
  return Math.min(alpha, 2 * normalUpperTail(normalUpperQuantile(alpha / 2) / Math.sqrt(x)));
}

/** What one sequential test keeps between looks: plain numbers, stored with the rollout. */
export interface TestLedger {
  /** alpha spent by the looks so far. */
  spent: number;
  /** Boots behind the last look that tested (candidate, baseline); a look with the same sees nothing new. */
  boots: [number, number];
  /** When the test rejected, if it has: a crossed boundary stands. */
  rejectedAtMs: number | null;
}

export interface LookResult {
  /** The level this look tested at (0 when it did not test). */
  level: number;
  /** Whether this look tested (new boots since the last one, horizon not passed). */
  tested: boolean;
  /** Whether the test has rejected, at this look or before. */
  rejected: boolean;
  ledger: TestLedger;
}

export interface LookInput {
  alpha: number;
  shape: SpendingShape;
  /** Information time: elapsed / planned canary duration. */
  t: number;
  /** Boots behind this look (candidate, baseline). */
  boots: [number, number];
  /** The test's one-sided p-value at this look. */
  p: number;
  /** Other conditions the rejection needs besides p <= level (e.g. the effect above tolerance). */
  alsoRequired: boolean;
  nowMs: number;
}

export function emptyLedger(): TestLedger {
  return { spent: 0, boots: [0, 0], rejectedAtMs: null };
}

/** One look of one test: spend this look's share, test at it, record a rejection. */
export function look(previous: TestLedger | undefined, input: LookInput): LookResult {
  const ledger = previous ?? emptyLedger();
  if (ledger.rejectedAtMs !== null) return { level: 0, tested: false, rejected: true, ledger };
  const same = input.boots[0] === ledger.boots[0] && input.boots[1] === ledger.boots[1];
  const level = Math.max(0, alphaSpent(input.alpha, input.t, input.shape) - ledger.spent);
  if (same || level === 0) return { level: 0, tested: false, rejected: false, ledger };
  const rejected = input.alsoRequired && input.p <= level;
  return {
    level,
    tested: true,
    rejected,
    ledger: {
      spent: ledger.spent + level,
      boots: [input.boots[0], input.boots[1]],
      rejectedAtMs: rejected ? input.nowMs : null,
    },
  };
}
