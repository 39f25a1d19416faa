// The verdict as a pipeline sees it: each check's decision and words, the rules that combine
// them, the state carried between looks, and bad input.
import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '../../../collector/rollouts/policy.js';
import { computeVerdict } from '../../../collector/rollouts/verdict.js';
import type {
  CandidateSlo,
  SideEvidence,
  VerdictInput,
} from '../../../collector/rollouts/verdict-model.js';
import { BootwatchError } from '../../../shared/errors.js';

const Start = Date.UTC(2025, 5, 2, 9, 0, 0);
const Minute = 60_000;
const healthySlo: CandidateSlo = {
  allowedErrorRatio: 0.001,
  pageAlertFiring: false,
  budgetRemaining: 0.9,
};

/** `boots` boots, `failures` of them failed, the rest ready at 60 s + i * stepMs. */
function side(boots: number, failures = 0, offsetMs = 0, stepMs = 250): SideEvidence {
  const readyMs = Float64Array.from(
    { length: boots - failures },
    (_, i) => 60_000 + offsetMs + i * stepMs,
  );
  return { successes: boots - failures, failures, readyMs };
}

function input(over: Partial<VerdictInput>): VerdictInput {
  return {
    candidate: side(100),
    baseline: side(100),
    slo: healthySlo,
    policy: resolvePolicy(),
    startedAtMs: Start,
    nowMs: Start + 60 * Minute,
    state: null,
    ...over,
  };
}

const check = (r: ReturnType<typeof computeVerdict>, name: string) =>
  r.checks.find((c) => c.name === name)!;

describe('computeVerdict', () => {
  it('promotes a candidate like its baseline once the minimums are met, listing every check', () => {
    const r = computeVerdict(input({}));
    expect(r.verdict).toBe('promote');
    expect(r.checks.map((c) => [c.name, c.decision])).toEqual([
      ['boot_success_vs_baseline', 'pass'],
      ['boot_success_vs_slo', 'pass'],
      ['time_to_ready_vs_baseline', 'pass'],
      ['page_alert', 'pass'],
      ['error_budget', 'pass'],
      ['image_scan', 'skip'],
      ['boots', 'pass'],
      ['canary_duration', 'pass'],
    ]);
    const ready = check(r, 'time_to_ready_vs_baseline');
    expect(ready.figure).toBe(0);
    expect(ready.threshold).toBe(10);
    expect(ready.detail).toContain(
      'Mann-Whitney (normal) that the candidate is slower by more than 10.0 s',
    );
  });

  it('holds until each side has its boots and the canary its minimum duration', () => {
    const early = computeVerdict(input({ nowMs: Start + 10 * Minute, candidate: side(20) }));
    expect(early.verdict).toBe('hold');
    expect(check(early, 'boots')).toMatchObject({ figure: 20, threshold: 50, decision: 'hold' });
    expect(check(early, 'canary_duration')).toMatchObject({
      figure: 10,
      threshold: 30,
      decision: 'hold',
    });
  });

  it('rolls back at once when the first 10 candidate boots all fail: no minimum for that', () => {
    const r = computeVerdict(
      input({ candidate: side(10, 10), baseline: side(10), nowMs: Start + 5 * Minute }),
    );
    expect(r.verdict).toBe('rollback');
    expect(check(r, 'boot_success_vs_baseline').decision).toBe('rollback');
    expect(check(r, 'boot_success_vs_baseline').sequential!.p).toBeCloseTo(
      5.412544112234515e-6,
      15,
    );
    expect(check(r, 'boot_success_vs_slo').decision).toBe('rollback');
    expect(r.state.rollback).toEqual({
      atMs: Start + 5 * Minute,
      checks: ['boot_success_vs_baseline', 'boot_success_vs_slo'],
    });
  });

  it('the same p-value does not roll back at a later look once its share is spent elsewhere', () => {
    // 3 failures of 100 against the SLO: p = 1.6e-4, below the level of a first look half-way
    // (3.1e-3); 3 of 120 (p = 2.8e-4) is not below the last minute's share after 119 looks.
    const first = computeVerdict(input({ candidate: side(100, 3), nowMs: Start + 60 * Minute }));
    expect(check(first, 'boot_success_vs_slo').decision).toBe('rollback');
    let state = null;
    for (let minute = 1; minute < 120; minute += 1) {
      state = computeVerdict(
        input({
          candidate: side(minute, 0),
          baseline: side(minute),
          nowMs: Start + minute * Minute,
          state,
        }),
      ).state;
    }
    const late = computeVerdict(
      input({ candidate: side(120, 3), baseline: side(120), nowMs: Start + 120 * Minute, state }),
    );
    const slo = check(late, 'boot_success_vs_slo');
    expect(slo.sequential!.level).toBeLessThan(slo.sequential!.p);
    expect(slo.decision).toBe('pass');
  });

  it('does not hold the SLO test against the candidate when the baseline fails as often', () => {
    const r = computeVerdict(input({ candidate: side(100, 5), baseline: side(100, 5) }));
    const slo = check(r, 'boot_success_vs_slo');
    expect(slo.decision).toBe('pass');
    expect(slo.detail).toContain(
      'above the allowed ratio too (p 6.96e-8): not held against the candidate',
    );
    expect(check(r, 'boot_success_vs_baseline').decision).toBe('pass');
    expect(r.verdict).toBe('promote');
  });

  it('a significant 0.5 s slowdown is not a rollback; 60 s is', () => {
    const small = computeVerdict(
      input({ candidate: side(5_000, 0, 500, 10), baseline: side(5_000, 0, 0, 10) }),
    );
    const ready = check(small, 'time_to_ready_vs_baseline');
    expect(ready.figure).toBeCloseTo(0.5, 6);
    expect(ready.decision).toBe('pass');
    const large = computeVerdict(input({ candidate: side(100, 0, 60_000), baseline: side(100) }));
    expect(check(large, 'time_to_ready_vs_baseline')).toMatchObject({
      figure: 60,
      decision: 'rollback',
    });
  });

  it('judges against the SLOs alone without a baseline, and says so', () => {
    const slo = { ...healthySlo, readiness: { thresholdMs: 80_000, allowedSlowRatio: 0.05 } };
    const good = computeVerdict(input({ baseline: null, slo }));
    expect(good.notes).toContain('no baseline version: judged against the SLOs alone');
    expect(check(good, 'boot_success_vs_baseline').decision).toBe('skip');
    expect(check(good, 'time_to_ready_vs_slo')).toMatchObject({ figure: 0.19, threshold: 0.05 });
    expect(check(good, 'time_to_ready_vs_slo').decision).toBe('rollback');
    const empty = computeVerdict(input({ baseline: side(0), slo: healthySlo }));
    expect(empty.notes).toContain(
      'the baseline has no boots in scope yet: judged against the SLOs alone',
    );
    expect(check(empty, 'time_to_ready_vs_slo').decision).toBe('skip');
    expect(check(empty, 'boots').figure).toBe(100);
  });

  it('page alert rolls back, a spent budget holds, the scan gate when the policy asks', () => {
    expect(computeVerdict(input({ slo: { ...healthySlo, pageAlertFiring: true } })).verdict).toBe(
      'rollback',
    );
    const spent = computeVerdict(input({ slo: { ...healthySlo, budgetRemaining: -3 } }));
    expect(spent.verdict).toBe('hold');
    expect(check(spent, 'error_budget').detail).toBe(
      "-300% of the candidate's error budget left, below the floor 0%",
    );
    const policy = resolvePolicy({ requireScan: true });
    expect(computeVerdict(input({ policy })).verdict).toBe('hold');
    expect(computeVerdict(input({ policy, scan: { decision: 'no_scan' } })).verdict).toBe('hold');
    expect(computeVerdict(input({ policy, scan: { decision: 'pass' } })).verdict).toBe('promote');
    const failed = computeVerdict(
      input({ policy, scan: { decision: 'fail', detail: '2 critical CVEs' } }),
    );
    expect(failed.verdict).toBe('rollback');
    expect(check(failed, 'image_scan').detail).toBe('the scan failed its gate: 2 critical CVEs');
    expect(computeVerdict(input({ scan: { decision: 'fail' } })).verdict).toBe('promote');
  });

  it('a rollback stands at later looks, and the state survives JSON', () => {
    const first = computeVerdict(input({ slo: { ...healthySlo, pageAlertFiring: true } }));
    const state = JSON.parse(JSON.stringify(first.state));
    const later = computeVerdict(input({ nowMs: Start + 61 * Minute, state }));
    expect(later.verdict).toBe('rollback');
    expect(later.notes).toContain(
      'rollback decided at 2025-06-02T10:00:00.000Z by page_alert; it stands',
    );
  });

  it('a look without new boots spends nothing and says so', () => {
    const first = computeVerdict(input({}));
    const again = computeVerdict(input({ nowMs: Start + 61 * Minute, state: first.state }));
    expect(again.state.tests).toEqual(first.state.tests);
    expect(check(again, 'boot_success_vs_slo').detail).toContain(
      'no new boots to test, nothing spent',
    );
  });

  it('after the planned duration the tests can no longer roll back, and the notes say so', () => {
    const r = computeVerdict(input({ nowMs: Start + 3 * 60 * Minute }));
    expect(r.notes).toContain(
      'the planned canary duration has passed: the tests have spent their false-rollback budget and can no longer roll back',
    );
  });

  it.each([
    [
      { ...side(3), readyMs: Float64Array.from([3, 1, 2]) },
      'readyMs must be finite and sorted ascending; index 1 holds 1',
    ],
    [{ ...side(3), successes: 2 }, 'has 3 times to ready for 2 successful boots'],
    [{ ...side(3), failures: -1 }, 'failures must be a whole number >= 0, got -1'],
  ])('refuses a malformed side with BW_INTERNAL', (candidate, message) => {
    try {
      computeVerdict(input({ candidate }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BootwatchError);
      expect((e as BootwatchError).code).toBe('BW_INTERNAL');
      expect((e as BootwatchError).message).toBe(`verdict input: candidate ${message}`);
    }
  });
});
