// The candidate's SLO figures from an SLO report: the strictest per-version boot_success SLO, the
// smallest budget left among its groups, a page from any SLO grouped by version, the readiness
// SLO; a fleet-wide SLO or the fallback ratio when no SLO speaks for the version, said in a note.
import { describe, expect, it } from 'vitest';
import {
  candidateSlo,
  FallbackAllowedErrorRatio,
} from '../../../collector/rollouts/candidate-slo.js';
import type { GroupStatus, SloReport, SloStatus } from '../../../collector/slo/report.js';

function group(labels: Record<string, string>, over: Partial<GroupStatus> = {}): GroupStatus {
  return {
    labels,
    sliRatio: 1,
    budget: { allowedErrors: 1, errors: 0, remaining: 1 },
    windows: [],
    tiers: [],
    alert: 'none',
    lastEventAt: null,
    ...over,
  };
}

function slo(over: Partial<SloStatus>): SloStatus {
  return {
    name: 'boot-success',
    description: '',
    sli: 'boot_success',
    objective: 0.999,
    window: '30d',
    windowMs: 30 * 86_400_000,
    thresholdSeconds: null,
    groupBy: ['ami_version'],
    sparseZ: 0,
    groups: [],
    ...over,
  };
}

const report = (slos: SloStatus[]): SloReport => ({ evaluatedAt: '', evaluatedAtMs: 0, slos });

describe('candidateSlo', () => {
  it('takes the strictest per-version SLO, the smallest budget and any page', () => {
    const figures = candidateSlo(
      report([
        slo({
          groups: [
            group(
              { ami_version: '2.0' },
              { budget: { allowedErrors: 1, errors: 0.5, remaining: 0.5 } },
            ),
            group({ ami_version: '1.9' }, { alert: 'page' }),
          ],
        }),
        slo({
          name: 'strict',
          objective: 0.9999,
          groupBy: ['ami_version', 'region'],
          groups: [
            group(
              { ami_version: '2.0', region: 'a' },
              { budget: { allowedErrors: 1, errors: 0.8, remaining: 0.2 } },
            ),
            group({ ami_version: '2.0', region: 'b' }, { alert: 'page' }),
          ],
        }),
        slo({ name: 'ready', sli: 'time_to_ready', thresholdSeconds: 120, objective: 0.95 }),
      ]),
      '2.0',
    );
    expect(figures.slo).toEqual({
      allowedErrorRatio: expect.closeTo(0.0001, 12),
      pageAlertFiring: true,
      budgetRemaining: 0.2,
      readiness: { thresholdMs: 120_000, allowedSlowRatio: expect.closeTo(0.05, 12) },
    });
    expect(figures.notes).toEqual(['page alert firing for the candidate: strict']);
  });

  it('falls back to a fleet-wide SLO, then to the default ratio, and says so', () => {
    const fleet = candidateSlo(report([slo({ groupBy: [], objective: 0.99 })]), '2.0');
    expect(fleet.slo).toEqual({
      allowedErrorRatio: expect.closeTo(0.01, 12),
      pageAlertFiring: false,
      budgetRemaining: null,
    });
    expect(fleet.notes[0]).toMatch(/^no boot_success SLO is grouped by ami_version/);
    const none = candidateSlo(report([]), '2.0');
    expect(none.slo.allowedErrorRatio).toBe(FallbackAllowedErrorRatio);
    expect(none.notes).toEqual([
      "no boot_success SLO: the candidate's failure ratio is judged against 0.1% allowed",
    ]);
  });
});
