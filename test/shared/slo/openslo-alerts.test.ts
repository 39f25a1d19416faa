// OpenSLO v1 alert policies and conditions mapped onto bootwatch's alerting tiers, or refused on
// their line; and what OpenSLO defines that bootwatch does not support, said as unsupported. A
// known-good file plus one change per case, asserting the full message.
import { describe, expect, it } from 'vitest';
import { buildRuleFile, DefaultLinks } from '../../../alerts/generate-rules.js';
import { isAlertingRule } from '../../../alerts/rule-file.js';
import { checkSloDocuments, parseSloDocuments } from '../../../shared/slo/load.js';

const HourMs = 3_600_000;
const DayMs = 24 * HourMs;

const Good = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: boot-success
spec:
  indicator:
    metadata: { name: boots }
    spec:
      ratioMetric:
        counter: true
        good: { metricSource: { type: bootwatch, spec: { sli: boot_success } } }
        total: { metricSource: { type: bootwatch, spec: { sli: boot_success } } }
  timeWindow: [{ duration: 30d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ target: 0.999 }]
  alertPolicies:
    - alertPolicyRef: fast-burn
    - kind: AlertPolicy
      metadata: { name: slow-burn }
      spec:
        alertWhenBreaching: true
        conditions:
          - kind: AlertCondition
            metadata: { name: slow }
            spec:
              severity: ticket
              condition: { kind: burnrate, op: gt, threshold: 1, lookbackWindow: 3d, alertAfter: 0m }
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: fast-burn
spec:
  description: Page when 2% of the budget burns in an hour
  alertWhenBreaching: true
  alertWhenResolved: true
  alertWhenNoData: false
  conditions:
    - conditionRef: fast
  notificationTargets:
    - targetRef: on-call
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: fast
spec:
  severity: page
  condition:
    kind: burnrate
    op: gt
    threshold: 14.4
    lookbackWindow: 1h
    alertAfter: 0m
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata:
  name: on-call
spec:
  target: pagerduty
`;

function check(from: string, to: string) {
  expect(Good).toContain(from);
  return checkSloDocuments(Good.replace(from, to), 'alerts.yaml');
}

describe('OpenSLO alert policies', () => {
  it('map burn-rate conditions onto tiers: factor = threshold, long = lookbackWindow, short = long / 12', () => {
    const [slo] = parseSloDocuments(Good, 'alerts.yaml');
    expect(slo!.tiers).toEqual([
      // 14.4 x 1h / 720h = 2% of the budget: the SRE Workbook's first page tier
      {
        severity: 'page',
        longWindowMs: HourMs,
        shortWindowMs: 5 * 60_000,
        budgetConsumed: 0.02,
        factor: 14.4,
      },
      {
        severity: 'ticket',
        longWindowMs: 3 * DayMs,
        shortWindowMs: 6 * HourMs,
        budgetConsumed: 0.1,
        factor: 1,
      },
    ]);
    // and the rules carry them
    const alerts = buildRuleFile([slo!], { links: DefaultLinks })
      .groups.flatMap((g) => g.rules)
      .filter(isAlertingRule)
      // the scan policy's and the rollout page, not the SLO's
      .filter(
        (a) => !a.alert.startsWith('BootwatchImage') && !a.alert.startsWith('BootwatchRollout'),
      );
    expect(alerts.map((a) => a.labels?.window)).toEqual(['1h/5m', '3d/6h', undefined]);
  });

  it('keep the threshold as the factor over any SLO window', () => {
    const [slo] = parseSloDocuments(
      Good.replace('duration: 30d', 'duration: 28d').replace('threshold: 1,', 'threshold: 0.7,'),
      'alerts.yaml',
    );
    expect(slo!.tiers.map((t) => t.factor)).toEqual([14.4, 0.7]);
  });

  it('say where the notification targets go, in a note', () => {
    expect(checkSloDocuments(Good, 'alerts.yaml').notes).toEqual([
      'alerts.yaml:40: AlertPolicy fast-burn.spec.notificationTargets: bootwatch does not notify anyone itself: its alerts reach Alertmanager with the labels severity and slo; route them to on-call there (alerts/alertmanager.yml)',
    ]);
  });

  it('refuse a reference to a policy, condition or target that is not in the file', () => {
    expect(check('- alertPolicyRef: fast-burn', '- alertPolicyRef: fast-burns').problems).toEqual([
      'alerts.yaml:17: spec.alertPolicies[0].alertPolicyRef: no kind: AlertPolicy document named "fast-burns" in this file',
      'alerts.yaml:29: AlertPolicy fast-burn: no SLO refers to it (spec.alertPolicies[].alertPolicyRef): refer to it, or remove it',
      'alerts.yaml:43: AlertCondition fast: no alert policy of an SLO refers to it (spec.conditions[].conditionRef): refer to it, or remove it',
    ]);
    expect(check('- conditionRef: fast', '- conditionRef: quick').problems).toEqual([
      'alerts.yaml:39: AlertPolicy fast-burn.spec.conditions[0].conditionRef: no kind: AlertCondition document named "quick" in this file',
      'alerts.yaml:43: AlertCondition fast: no alert policy of an SLO refers to it (spec.conditions[].conditionRef): refer to it, or remove it',
    ]);
    expect(check('- targetRef: on-call', '- targetRef: on-cal').problems).toEqual([
      'alerts.yaml:41: AlertPolicy fast-burn.spec.notificationTargets[0].targetRef: no kind: AlertNotificationTarget document named "on-cal" in this file',
    ]);
  });

  it('refuse a policy or condition no SLO uses, rather than drop it', () => {
    const { problems } = check(
      '  alertPolicies:\n    - alertPolicyRef: fast-burn\n',
      '  alertPolicies:\n',
    );
    expect(problems).toEqual([
      'alerts.yaml:28: AlertPolicy fast-burn: no SLO refers to it (spec.alertPolicies[].alertPolicyRef): refer to it, or remove it',
      'alerts.yaml:42: AlertCondition fast: no alert policy of an SLO refers to it (spec.conditions[].conditionRef): refer to it, or remove it',
    ]);
  });

  it('refuse, on its line, what a tier cannot mean', () => {
    const cases: [string, string, string][] = [
      [
        '    op: gt',
        '    op: gte',
        'alerts.yaml:51: AlertCondition fast.spec.condition.op: expected gt (a bootwatch tier fires when the burn rate is above its threshold), got "gte"',
      ],
      [
        '    alertAfter: 0m',
        '    alertAfter: 5m',
        'alerts.yaml:54: AlertCondition fast.spec.condition.alertAfter: expected 0m: a bootwatch tier fires as soon as both its windows burn above the threshold, and its short window (lookbackWindow / 12) is what keeps a brief spike from alerting; got "5m"',
      ],
      [
        '  severity: page',
        '  severity: sev1',
        'alerts.yaml:48: AlertCondition fast.spec.severity: expected one of page, ticket, got "sev1"',
      ],
      [
        '    kind: burnrate\n    op',
        '    kind: budget\n    op',
        'alerts.yaml:50: AlertCondition fast.spec.condition.kind: expected burnrate (the kind bootwatch maps onto its tiers), got "budget"',
      ],
      [
        '    lookbackWindow: 1h',
        '    lookbackWindow: 50m',
        'alerts.yaml:53: AlertCondition fast.spec.condition.lookbackWindow: expected a multiple of 12 minutes (the short window, lookbackWindow / 12, is whole minutes), got "50m"',
      ],
      [
        '    threshold: 14.4',
        '    threshold: 1000',
        'alerts.yaml:52: AlertCondition fast.spec.condition.threshold: expected a burn rate above 0 and at most 720 (over 1h it would spend more than the whole 30d error budget), got 1000',
      ],
      [
        '  alertWhenNoData: false',
        '  alertWhenNoData: true',
        'alerts.yaml:37: AlertPolicy fast-burn.spec.alertWhenNoData: expected false: bootwatch does not alert on an SLO without events (a quiet fleet is not an incident; BootwatchNoData fires when Prometheus scrapes no collector at all), got true',
      ],
      [
        '  alertWhenBreaching: true\n  alertWhenResolved',
        '  alertWhenBreaching: false\n  alertWhenResolved',
        'alerts.yaml:35: AlertPolicy fast-burn.spec.alertWhenBreaching: expected true (a bootwatch tier alerts while its condition breaches), got false',
      ],
      [
        '    - conditionRef: fast\n',
        '    - conditionRef: fast\n    - conditionRef: fast\n',
        'alerts.yaml:38: AlertPolicy fast-burn.spec.conditions: expected exactly one condition (OpenSLO v1 allows one per policy), got 2',
      ],
    ];
    expect(cases.map(([from, to]) => check(from, to).problems)).toEqual(
      cases.map(([, , problem]) => [problem]),
    );
  });

  it('check the tiers like any other: a lookback window as long as the SLO window is refused', () => {
    expect(check('lookbackWindow: 3d', 'lookbackWindow: 30d').problems).toEqual([
      'alerts.yaml:27: spec.alertPolicies[1].spec.conditions[0].spec.condition.lookbackWindow: expected a window shorter than the SLO window (30d), got "30d"',
    ]);
    expect(
      check(
        'severity: ticket\n              condition: { kind: burnrate, op: gt, threshold: 1, lookbackWindow: 3d',
        'severity: page\n              condition: { kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h',
      ).problems,
    ).toEqual([
      'alerts.yaml:23: spec.alertPolicies[1].spec.conditions[0].spec: expected one tier per severity and pair of windows, got a second page 1h/5m (the same as tier 0, counting from 0)',
    ]);
  });

  it('note alertWhenResolved: false, which is the Alertmanager receiver’s send_resolved', () => {
    expect(check('alertWhenResolved: true', 'alertWhenResolved: false').notes[0]).toBe(
      'alerts.yaml:36: AlertPolicy fast-burn.spec.alertWhenResolved: bootwatch always ends its alerts when they resolve; to send no notification for it, set send_resolved: false on the Alertmanager receiver',
    );
  });
});

describe('OpenSLO fields bootwatch does not support', () => {
  it('say unsupported for thresholdMetric, Timeslices objectives, calendar windows and raw ratios', () => {
    expect(
      check(
        '      ratioMetric:\n        counter: true\n',
        '      thresholdMetric: { metricSource: { type: bootwatch, spec: {} } }\n      ratioMetric:\n        counter: true\n',
      ).problems,
    ).toEqual([
      'alerts.yaml:9: spec.indicator.spec.thresholdMetric: is not supported: bootwatch SLIs are ratios of boots it counts itself (ratioMetric, metricSource type bootwatch)',
    ]);
    expect(
      check(
        'objectives: [{ target: 0.999 }]',
        'objectives: [{ target: 0.999, timeSliceWindow: 5m }]',
      ).problems,
    ).toEqual([
      'alerts.yaml:15: spec.objectives[0].timeSliceWindow: (Timeslices budgeting) is not supported: bootwatch budgets Occurrences (good boots over all boots), it does not slice time',
    ]);
    expect(
      check(
        'timeWindow: [{ duration: 30d, isRolling: true }]',
        'timeWindow: [{ duration: 1M, calendar: { startTime: 2026-01-01 00:00:00, timeZone: UTC } }]',
      ).problems,
    ).toContain(
      'alerts.yaml:13: spec.timeWindow[0].calendar: calendar-aligned windows are not supported: bootwatch evaluates rolling windows (isRolling: true)',
    );
    expect(
      check('        counter: true\n', '        counter: true\n        rawType: success\n')
        .problems,
    ).toEqual([
      'alerts.yaml:11: spec.indicator.spec.ratioMetric.rawType: is not supported: bootwatch divides good boots by all boots itself, it reads no precomputed ratio',
    ]);
  });

  it('take a missing timeWindow as 30 days rolling, and say so', () => {
    const { slos, problems, notes } = check(
      '  timeWindow: [{ duration: 30d, isRolling: true }]\n',
      '',
    );
    expect(problems).toEqual([]);
    expect(slos[0]!.windowMs).toBe(30 * DayMs);
    expect(notes[0]).toBe(
      'alerts.yaml:6: spec.timeWindow: absent: the SLO window is 30d, rolling (the default)',
    );
  });

  it('refuse a kind OpenSLO v1 does not define, instead of skipping it', () => {
    expect(
      check('kind: AlertCondition\nmetadata:', 'kind: AlertConditon\nmetadata:').problems[0],
    ).toBe(
      'alerts.yaml:44: kind: expected one of SLO, SLI, AlertPolicy, AlertCondition, AlertNotificationTarget, Service, DataSource, got "AlertConditon"',
    );
  });
});
