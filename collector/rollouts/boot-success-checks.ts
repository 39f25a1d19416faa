// The two boot-success checks: the candidate against the baseline (Fisher's exact test) and
// against its SLO's allowed failure ratio (exact binomial). Either rolls back, each under its own
// share of the false-rollback budget, spent over the canary's looks (alpha-spending.ts).
//
// Against the baseline, a rollback also needs the candidate's failure ratio above the allowed
// ratio: a candidate at 0.05% against a baseline at 0% is worse, and still within its SLO.
// Against the SLO, a rollback also needs the baseline in the same scope to look healthy
// (baseline-guard.ts). Without a baseline the SLO is the only reference.
import { look, type TestLedger } from './alpha-spending.js';
import { baselineGuard } from './baseline-guard.js';
import { fisherOneSided } from './fisher-exact.js';
import { binomialUpperTail } from './slo-binomial.js';
import type { Check, SideEvidence, VerdictInput } from './verdict-model.js';
import { sequentialDetail, sequentialFigures } from './sequential-check.js';
import { failedOf, percent } from './wording.js';

export interface TestOutcome {
  check: Check;
  ledger: TestLedger | undefined;
}

function boots(side: SideEvidence): number {
  return side.successes + side.failures;
}

export function bootSuccessVsBaseline(input: VerdictInput, t: number): TestOutcome {
  const { candidate, baseline, slo, policy } = input;
  const previous = input.state?.tests.bootSuccessVsBaseline;
  const nC = boots(candidate);
  const ratio = nC > 0 ? candidate.failures / nC : 0;
  const base = {
    name: 'boot_success_vs_baseline',
    figure: nC > 0 ? ratio : null,
    threshold: slo.allowedErrorRatio,
    unit: 'ratio' as const,
  };
  if (baseline === null) {
    return {
      check: { ...base, decision: 'skip', detail: 'no baseline boots in scope' },
      ledger: previous,
    };
  }
  const alpha = policy.falseRollback.bootSuccessVsBaseline;
  const p = fisherOneSided(candidate, baseline);
  const above = ratio > slo.allowedErrorRatio;
  const r = look(previous, {
    alpha,
    shape: policy.spending,
    t,
    boots: [nC, boots(baseline)],
    p,
    alsoRequired: above,
    nowMs: input.nowMs,
  });
  const detail =
    `candidate ${failedOf(candidate.failures, nC)}, baseline ` +
    `${failedOf(baseline.failures, boots(baseline))}; Fisher one-sided ` +
    sequentialDetail(p, r) +
    (above ? '' : `; candidate within the allowed ${percent(slo.allowedErrorRatio)}`);
  return {
    check: {
      ...base,
      decision: r.rejected ? 'rollback' : 'pass',
      detail,
      sequential: sequentialFigures(p, r, alpha, above),
    },
    ledger: r.ledger,
  };
}

export function bootSuccessVsSlo(input: VerdictInput, t: number): TestOutcome {
  const { candidate, baseline, slo, policy } = input;
  const previous = input.state?.tests.bootSuccessVsSlo;
  const nC = boots(candidate);
  const nB = baseline === null ? 0 : boots(baseline);
  const alpha = policy.falseRollback.bootSuccessVsSlo;
  const p = binomialUpperTail(candidate.failures, nC, slo.allowedErrorRatio);
  const guard =
    baseline === null || nB === 0
      ? null
      : baselineGuard(candidate, baseline, slo.allowedErrorRatio, policy.baselineBreachP);
  const baselineWithin = guard === null || guard.open;
  const r = look(previous, {
    alpha,
    shape: policy.spending,
    t,
    boots: [nC, nB],
    p,
    alsoRequired: baselineWithin,
    nowMs: input.nowMs,
  });
  return {
    check: {
      name: 'boot_success_vs_slo',
      figure: nC > 0 ? candidate.failures / nC : null,
      threshold: slo.allowedErrorRatio,
      unit: 'ratio',
      decision: r.rejected ? 'rollback' : 'pass',
      detail:
        `candidate ${failedOf(candidate.failures, nC)} against the allowed ` +
        `${percent(slo.allowedErrorRatio)}; exact binomial ` +
        sequentialDetail(p, r) +
        (guard === null ? '' : `; ${guard.detail}`),
      sequential: sequentialFigures(p, r, alpha, baselineWithin),
    },
    ledger: r.ledger,
  };
}
