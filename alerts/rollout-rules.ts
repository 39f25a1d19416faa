// The rollout alert, a page (the seeds' "failed canary"):
//
// BootwatchRolloutFailedCanary: an active rollout's latest verdict is `rollback`
//   (bootwatch_rollout_verdict, collector/metrics/rollout-gauges.ts). A pipeline that obeys the
//   verdict rolls back on its own within a minute; the page is for the rollouts nobody obeys (a
//   pipeline without the verdict step, a detected rollout): the candidate keeps failing boots
//   until a person acts. It resolves when the rollout is finished (its gauges go away).
//   Worked example: rollout 7 canaries 1.4 against 1.3; the look at 10:02 says rollback; at
//   10:04 (after `for`) the page fires with rollout="7", candidate="1.4", ami_version="1.4".
//
// The alert carries the candidate as `ami_version` too, so that Alertmanager can silence the
// burn-rate ticket of a version already judged (alerts/alertmanager.yml, inhibit_rules): the page
// says it first and better.
//
// Several collector replicas export the same gauges (they share one store): `max by` reads one.
import { PromLabel, PromMetric } from '../shared/conventions.js';
import type { AnnotationLinks } from './alert-annotations.js';
import type { AlertingRule, RuleGroup } from './rule-file.js';
import { AlertName, GroupName, Severity } from './rule-names.js';
import { scaledRange } from './rule-windows.js';

/** Two minutes: two looks of a pipeline polling every minute, and at least one scrape. */
const ForMs = 2 * 60_000;

/** The expression: one series per active rollout judged rollback, labelled with its versions. */
export function failedCanaryExpr(): string {
  const { rollout, candidate, baseline, source, verdict, amiVersion } = PromLabel;
  return [
    `label_replace(`,
    `  max by (${rollout}, ${candidate}, ${baseline}, ${source}) (${PromMetric.rolloutInfo})`,
    `  * on (${rollout}) group_left ()`,
    `  max by (${rollout}) (${PromMetric.rolloutVerdict}{${verdict}="rollback"}),`,
    `  "${amiVersion}", "$1", "${candidate}", "(.*)"`,
    `) == 1`,
  ].join('\n');
}

export function rolloutRuleGroup(links: AnnotationLinks, timeScale: number): RuleGroup {
  const { rollout, candidate, baseline, source } = PromLabel;
  const failedCanary: AlertingRule = {
    alert: AlertName.failedCanary,
    expr: failedCanaryExpr(),
    for: scaledRange(ForMs, timeScale),
    labels: { severity: Severity.page },
    annotations: {
      summary: `Rollout {{ $labels.${rollout} }}: the canary of {{ $labels.${candidate} }} failed (verdict rollback)`,
      description:
        `The verdict of rollout {{ $labels.${rollout} }} ({{ $labels.${source} }}), candidate ` +
        `{{ $labels.${candidate} }} against baseline {{ $labels.${baseline} }}, is rollback. ` +
        `Roll the group back to {{ $labels.${baseline} }}, then record it: ` +
        `POST /api/v1/rollouts/{{ $labels.${rollout} }}/rollback. ` +
        `\`bootwatch verdict --rollout {{ $labels.${rollout} }}\` shows each check and why.`,
      runbook_url: `${links.runbookUrl}#bootwatchrolloutfailedcanary`,
    },
  };
  return { name: GroupName.rollouts, rules: [failedCanary] };
}
