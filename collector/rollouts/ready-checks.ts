// The time-to-ready check. Against a baseline: a one-sided Mann-Whitney test that the candidate is
// slower by more than the tolerance (max(10 s, 10% of the baseline's median) by default), with
// the Hodges-Lehmann shift as the figure. Testing the shifted null, not "no difference", is what
// keeps a significant 0.5 s from rolling back: the test asks whether the candidate is slower by
// more than the tolerance, and at 100,000 boots per side a 0.5 s shift is certain but harmless.
// Example: baseline median 75 s gives a tolerance of 10 s; a candidate 60 s slower gives a shift
// near 60 s and, with 20 boots per side, a p-value for "slower by more than 10 s" near 1e-8.
//
// Without a baseline: the candidate's share of boots slower than its time-to-ready SLO's
// threshold, against the share the SLO allows (exact binomial, as for boot success).
import { look } from './alpha-spending.js';
import type { TestOutcome } from './boot-success-checks.js';
import { hodgesLehmann } from './hodges-lehmann.js';
import { mannWhitneyGreater } from './mann-whitney.js';
import { sequentialDetail, sequentialFigures } from './sequential-check.js';
import { binomialUpperTail } from './slo-binomial.js';
import { sortedMedian, upperBound } from './sorted-sample.js';
import type { VerdictInput } from './verdict-model.js';
import { percent, seconds } from './wording.js';

export interface ReadyOutcome extends TestOutcome {
  shiftMs: number | null;
}

export function timeToReadyVsBaseline(input: VerdictInput, t: number): ReadyOutcome {
  const { candidate, policy } = input;
  const baseline = input.baseline!;
  const previous = input.state?.tests.timeToReady;
  const c = candidate.readyMs;
  const b = baseline.readyMs;
  const baseMedian = sortedMedian(b);
  const tolerance = Math.max(
    policy.readyToleranceMs,
    policy.readyToleranceRatio * (baseMedian ?? 0),
  );
  if (c.length === 0 || baseMedian === null) {
    return {
      check: {
        name: 'time_to_ready_vs_baseline',
        figure: null,
        threshold: tolerance / 1000,
        unit: 's',
        decision: 'pass',
        detail: `no successful boot yet on the ${c.length === 0 ? 'candidate' : 'baseline'} side`,
      },
      ledger: previous,
      shiftMs: null,
    };
  }
  const shift = hodgesLehmann(c, b, input.state?.lastShiftMs ?? undefined)!;
  const mw = mannWhitneyGreater(c, b, tolerance);
  const alpha = policy.falseRollback.timeToReady;
  const r = look(previous, {
    alpha,
    shape: policy.spending,
    t,
    boots: [c.length, b.length],
    p: mw.p,
    alsoRequired: shift > tolerance,
    nowMs: input.nowMs,
  });
  return {
    check: {
      name: 'time_to_ready_vs_baseline',
      figure: shift / 1000,
      threshold: tolerance / 1000,
      unit: 's',
      decision: r.rejected ? 'rollback' : 'pass',
      detail:
        `candidate median ${seconds(sortedMedian(c)!)} (${c.length} boots), baseline ` +
        `${seconds(baseMedian)} (${b.length}); Hodges-Lehmann shift ${seconds(shift)}; ` +
        `Mann-Whitney (${mw.method}) that the candidate is slower by more than ` +
        `${seconds(tolerance)}: ${sequentialDetail(mw.p, r)}`,
      sequential: sequentialFigures(mw.p, r, alpha, shift > tolerance),
    },
    ledger: r.ledger,
    shiftMs: shift,
  };
}

export function timeToReadyVsSlo(input: VerdictInput, t: number): ReadyOutcome {
  const { candidate, slo, policy } = input;
  const previous = input.state?.tests.timeToReady;
  const readiness = slo.readiness;
  if (readiness === undefined) {
    return {
      check: {
        name: 'time_to_ready_vs_slo',
        figure: null,
        threshold: null,
        unit: 'ratio',
        decision: 'skip',
        detail: 'no baseline to compare with and no time-to-ready SLO given',
      },
      ledger: previous,
      shiftMs: null,
    };
  }
  const c = candidate.readyMs;
  const slow = c.length - upperBound(c, c.length, readiness.thresholdMs);
  const p = binomialUpperTail(slow, c.length, readiness.allowedSlowRatio);
  const alpha = policy.falseRollback.timeToReady;
  const r = look(previous, {
    alpha,
    shape: policy.spending,
    t,
    boots: [c.length, 0],
    p,
    alsoRequired: true,
    nowMs: input.nowMs,
  });
  return {
    check: {
      name: 'time_to_ready_vs_slo',
      figure: c.length > 0 ? slow / c.length : null,
      threshold: readiness.allowedSlowRatio,
      unit: 'ratio',
      decision: r.rejected ? 'rollback' : 'pass',
      detail:
        `${slow} of ${c.length} successful boots slower than ${seconds(readiness.thresholdMs)}, ` +
        `the SLO allows ${percent(readiness.allowedSlowRatio)}; exact binomial ` +
        sequentialDetail(p, r),
      sequential: sequentialFigures(p, r, alpha, true),
    },
    ledger: r.ledger,
    shiftMs: null,
  };
}
