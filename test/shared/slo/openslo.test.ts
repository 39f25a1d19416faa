// OpenSLO v1 `kind: SLO` documents mapped onto the SLO model, and their problems with file, line
// and field.
import { describe, expect, it } from 'vitest';
import { checkSloDocuments, parseSloDocuments } from '../../../shared/slo/load.js';
import { defaultTiers } from '../../../shared/slo/tiers.js';

const DayMs = 86_400_000;

const Good = `apiVersion: openslo/v1
kind: Service
metadata:
  name: ec2-images
spec:
  description: Machine images baked by the platform team
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: time-to-ready
  displayName: Ready within two minutes
spec:
  description: First boots ready within 120 s
  service: ec2-images
  indicator:
    metadata:
      name: ready-within-120s
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: bootwatch
            spec:
              sli: time_to_ready
              threshold: 120s
              group_by: [ami_version, asg]
        total:
          metricSource:
            type: bootwatch
            spec:
              sli: time_to_ready
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Good
      target: 0.95
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: boots-succeed
spec:
  ratioMetric:
    counter: true
    good: { metricSource: { type: bootwatch, spec: { sli: boot_success } } }
    total: { metricSource: { type: bootwatch, spec: { sli: boot_success } } }
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: boot-success
spec:
  indicatorRef: boots-succeed
  timeWindow: [{ duration: 30d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ targetPercent: 99.9 }]
`;

function problemsWith(from: string, to: string): string[] {
  expect(Good).toContain(from);
  return checkSloDocuments(Good.replace(from, to), 'openslo.yaml').problems;
}

describe('OpenSLO v1 documents', () => {
  it('map kind: SLO onto the model (inline indicator and indicatorRef), skipping other kinds', () => {
    const slos = parseSloDocuments(Good, 'openslo.yaml');
    expect(slos).toEqual([
      {
        name: 'time-to-ready',
        description: 'First boots ready within 120 s',
        sli: 'time_to_ready',
        thresholdSeconds: 120,
        objective: 0.95,
        windowMs: 28 * DayMs,
        groupBy: ['ami_version', 'asg'],
        tiers: defaultTiers(28 * DayMs),
        sparse: { z: 3, evidenceWindowMs: DayMs },
        source: 'openslo.yaml:8',
      },
      {
        name: 'boot-success',
        description: '',
        sli: 'boot_success',
        thresholdSeconds: null,
        objective: 0.999,
        windowMs: 30 * DayMs,
        groupBy: ['ami_version'],
        tiers: defaultTiers(30 * DayMs),
        sparse: { z: 3, evidenceWindowMs: DayMs },
        source: 'openslo.yaml:52',
      },
    ]);
  });

  it('name the file, the line and the field of each problem', () => {
    expect(
      problemsWith(
        'budgetingMethod: Occurrences\n  objectives:\n    - displayName',
        'budgetingMethod: Timeslices\n  objectives:\n    - displayName',
      ),
    ).toEqual([
      'openslo.yaml:37: spec.budgetingMethod: Timeslices budgeting is not supported: bootwatch budgets Occurrences (good boots over all boots), it does not slice time',
    ]);
    expect(problemsWith('      isRolling: true', '      isRolling: false')).toEqual([
      'openslo.yaml:36: spec.timeWindow[0].isRolling: expected true (bootwatch evaluates rolling windows), got false',
    ]);
    expect(
      problemsWith(
        '            type: bootwatch\n            spec:\n              sli: time_to_ready\n              threshold',
        '            type: Prometheus\n            spec:\n              sli: time_to_ready\n              threshold',
      ),
    ).toEqual([
      'openslo.yaml:24: spec.indicator.spec.ratioMetric.good.metricSource.type: expected bootwatch (an SLI bootwatch computes), got "Prometheus"',
    ]);
    expect(problemsWith('      target: 0.95', '      target: 95')).toEqual([
      'openslo.yaml:40: spec.objectives[0].target: expected a ratio between 0 and 1 such as 0.999, got 95',
    ]);
    expect(problemsWith('  indicatorRef: boots-succeed', '  indicatorRef: boots-fail')).toEqual([
      'openslo.yaml:57: spec.indicatorRef: no kind: SLI document named "boots-fail" in this file',
    ]);
    expect(
      problemsWith(
        'apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: time-to-ready',
        'apiVersion: openslo/v1alpha\nkind: SLO\nmetadata:\n  name: time-to-ready',
      ),
    ).toEqual(['openslo.yaml:8: apiVersion: expected openslo/v1, got "openslo/v1alpha"']);
    // Total names another SLI than good.
    expect(
      problemsWith(
        '            spec:\n              sli: time_to_ready\n  timeWindow',
        '            spec:\n              sli: boot_success\n  timeWindow',
      ),
    ).toEqual([
      'openslo.yaml:33: spec.indicator.spec.ratioMetric.total.metricSource.spec.sli: expected the same SLI as good (time_to_ready), got "boot_success"',
    ]);
  });

  it('validate the model the same way as bootwatch files', () => {
    expect(problemsWith('threshold: 120s', 'threshold: 2m5s')).toEqual([
      'openslo.yaml:27: SLO time-to-ready.threshold: expected one of the histogram bounds (5s, 10s, 15s, 20s, 30s, 45s, 60s, 90s, 120s, 180s, 240s, 300s, 450s, 600s, 900s, 1800s) so that "ready within" is an exact count, got 125s',
    ]);
  });
});
