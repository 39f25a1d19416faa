// The checks that are not tests: what the SLO engine says about the candidate, the image scan,
// and whether the canary has gathered enough evidence to promote.
// - A page-severity burn-rate alert for the candidate rolls back: the engine's page rule already
//   guards against sparse noise (shared/slo/sparse-rule.ts), so a page is evidence, not chance.
// - Budget below the floor holds: the SRE book's error-budget policy freezes releases when the
//   budget is spent. It does not roll back on its own: one failure among 200 boots spends a 99.9%
//   budget four times over, and is what a good version does one canary in five.
// - A failed scan rolls back; a scan not there yet holds, when the policy asks for one.
// - Too few boots or too short a canary holds a promote, never a rollback: the tests are valid
//   from the first boot, so overwhelming evidence needs no minimum.
import type { Check, VerdictInput } from './verdict-model.js';
import { percent } from './wording.js';

export function pageAlertCheck(input: VerdictInput): Check {
  const firing = input.slo.pageAlertFiring;
  return {
    name: 'page_alert',
    figure: firing ? 1 : 0,
    threshold: 0,
    unit: 'firing',
    decision: firing ? 'rollback' : 'pass',
    detail: firing
      ? 'a page-severity burn-rate alert fires for the candidate'
      : 'no page-severity burn-rate alert fires for the candidate',
  };
}

export function errorBudgetCheck(input: VerdictInput): Check {
  const left = input.slo.budgetRemaining;
  const floor = input.policy.budgetFloor;
  const base = { name: 'error_budget', figure: left, threshold: floor, unit: 'ratio' as const };
  if (left === null) return { ...base, decision: 'pass', detail: 'no boots in the SLO window yet' };
  const below = left < floor;
  return {
    ...base,
    decision: below ? 'hold' : 'pass',
    detail: `${percent(left)} of the candidate's error budget left, ${below ? 'below' : 'at or above'} the floor ${percent(floor)}`,
  };
}

export function imageScanCheck(input: VerdictInput): Check {
  const scan = input.scan ?? { decision: 'no_scan' as const };
  const said = scan.detail ? `: ${scan.detail}` : '';
  const base = { name: 'image_scan', figure: null, threshold: null, unit: 'firing' as const };
  if (!input.policy.requireScan) {
    return {
      ...base,
      decision: 'skip',
      detail: `the policy asks for no scan (scan: ${scan.decision}${said})`,
    };
  }
  if (scan.decision === 'pass')
    return { ...base, decision: 'pass', detail: `the scan passed${said}` };
  if (scan.decision === 'fail')
    return { ...base, decision: 'rollback', detail: `the scan failed its gate${said}` };
  return { ...base, decision: 'hold', detail: `no scan of the candidate yet${said}` };
}

export function evidenceChecks(input: VerdictInput): Check[] {
  const { candidate, baseline, policy } = input;
  const nC = candidate.successes + candidate.failures;
  const nB = baseline === null ? null : baseline.successes + baseline.failures;
  const fewest = nB === null ? nC : Math.min(nC, nB);
  const minutes = Math.max(0, input.nowMs - input.startedAtMs) / 60_000;
  const minMinutes = policy.minCanaryDurationMs / 60_000;
  return [
    {
      name: 'boots',
      figure: fewest,
      threshold: policy.minBootsPerSide,
      unit: 'boots',
      decision: fewest >= policy.minBootsPerSide ? 'pass' : 'hold',
      detail: `candidate ${nC} boots${nB === null ? '' : `, baseline ${nB}`} in scope; a promote needs ${policy.minBootsPerSide} per side`,
    },
    {
      name: 'canary_duration',
      figure: Math.round(minutes * 10) / 10,
      threshold: minMinutes,
      unit: 'min',
      decision: minutes >= minMinutes ? 'pass' : 'hold',
      detail: `the canary has run ${Math.floor(minutes)} min; a promote needs ${minMinutes} min`,
    },
  ];
}
