// The rollout verdict: promote, hold or rollback, from plain inputs, with every check's figure,
// threshold and decision. Pure: the caller reads the boots and the SLO figures, passes the state
// the previous look returned, and stores the state this one returns.
//
// Rollback if any check says rollback; else hold if any says hold; else promote. A rollback
// stands: once decided, later looks keep it and say when and why it was decided (a pipeline that
// polls must not see the answer flip back because a page alert resolved).
//
// Cost: the checks read the sorted samples in a few linear passes (U, the Hodges-Lehmann search,
// the medians by index) and the counts in O(1) to O(failures): at 100,000 boots per side a few
// milliseconds, whatever the number of looks.
import { BootwatchError } from '../../shared/errors.js';
import { bootSuccessVsBaseline, bootSuccessVsSlo } from './boot-success-checks.js';
import { errorBudgetCheck, evidenceChecks, imageScanCheck, pageAlertCheck } from './gate-checks.js';
import { timeToReadyVsBaseline, timeToReadyVsSlo } from './ready-checks.js';
import type {
  Check,
  SideEvidence,
  Verdict,
  VerdictInput,
  VerdictResult,
  VerdictState,
} from './verdict-model.js';
import { probability } from './wording.js';

export function initialVerdictState(): VerdictState {
  return { version: 1, tests: {}, lastShiftMs: null, rollback: null };
}

function checkSide(name: string, side: SideEvidence): void {
  const bad = (what: string) => new BootwatchError('BW_INTERNAL', `verdict input: ${name} ${what}`);
  for (const field of ['successes', 'failures'] as const) {
    if (!Number.isInteger(side[field]) || side[field] < 0) {
      throw bad(`${field} must be a whole number >= 0, got ${side[field]}`);
    }
  }
  const r = side.readyMs;
  if (!(r instanceof Float64Array)) throw bad('readyMs must be a Float64Array');
  if (r.length > side.successes) {
    throw bad(`has ${r.length} times to ready for ${side.successes} successful boots`);
  }
  for (let i = 0; i < r.length; i += 1) {
    if (!Number.isFinite(r[i]!) || (i > 0 && r[i]! < r[i - 1]!)) {
      throw bad(`readyMs must be finite and sorted ascending; index ${i} holds ${r[i]}`);
    }
  }
}

export function computeVerdict(input: VerdictInput): VerdictResult {
  checkSide('candidate', input.candidate);
  if (input.baseline !== null) checkSide('baseline', input.baseline);
  const baselineBoots =
    input.baseline === null ? 0 : input.baseline.successes + input.baseline.failures;
  // A baseline without boots in scope is no baseline: judge against the SLOs alone.
  const judged: VerdictInput = baselineBoots > 0 ? input : { ...input, baseline: null };
  const t = Math.max(0, input.nowMs - input.startedAtMs) / input.policy.canaryDurationMs;
  const notes: string[] = [];

  const vsBaseline = bootSuccessVsBaseline(judged, t);
  const vsSlo = bootSuccessVsSlo(judged, t);
  const ready =
    judged.baseline === null ? timeToReadyVsSlo(judged, t) : timeToReadyVsBaseline(judged, t);
  const checks: Check[] = [
    vsBaseline.check,
    vsSlo.check,
    ready.check,
    pageAlertCheck(judged),
    errorBudgetCheck(judged),
    imageScanCheck(judged),
    ...evidenceChecks(judged),
  ];

  if (judged.baseline === null) {
    notes.push(
      input.baseline === null
        ? 'no baseline version: judged against the SLOs alone'
        : 'the baseline has no boots in scope yet: judged against the SLOs alone',
    );
  }
  if (t >= 1) {
    notes.push(
      'the planned canary duration has passed: the tests have spent their false-rollback budget and can no longer roll back',
    );
  }

  const previous = input.state?.rollback ?? null;
  const rollingBack = checks.filter((c) => c.decision === 'rollback').map((c) => c.name);
  const rollback =
    previous ?? (rollingBack.length > 0 ? { atMs: input.nowMs, checks: rollingBack } : null);
  if (previous !== null) {
    notes.push(
      `rollback decided at ${new Date(previous.atMs).toISOString()} by ${previous.checks.join(', ')}; it stands`,
    );
  }
  const verdict: Verdict =
    rollback !== null ? 'rollback' : checks.some((c) => c.decision === 'hold') ? 'hold' : 'promote';
  const falseRollback = input.policy.falseRollback;
  notes.push(
    `false-rollback budget over the canary: ${probability(
      falseRollback.bootSuccessVsBaseline +
        falseRollback.bootSuccessVsSlo +
        falseRollback.timeToReady,
    )}, ${input.policy.spending}-type spending, information time ${Math.min(1, t).toFixed(2)}`,
  );

  const state: VerdictState = {
    version: 1,
    tests: {
      ...(vsBaseline.ledger && { bootSuccessVsBaseline: vsBaseline.ledger }),
      ...(vsSlo.ledger && { bootSuccessVsSlo: vsSlo.ledger }),
      ...(ready.ledger && { timeToReady: ready.ledger }),
    },
    lastShiftMs: ready.shiftMs ?? input.state?.lastShiftMs ?? null,
    rollback,
  };
  return { verdict, checks, notes, state };
}
