// On-call: what is firing, which boots fail and why, how fast each SLO burns in each alert window
// against its threshold, and whether Auto Scaling is replacing instances. The burn-rate alerts'
// dashboard_url opens this dashboard with the alert's AMI version selected.
import { OnCallDashboard } from '../alerts/alert-annotations.js';
import { tierWindow } from '../alerts/recording-rules.js';
import { AlertName, RecordName, windowName } from '../alerts/rule-names.js';
import { PromLabel, PromMetric } from '../shared/conventions.js';
import type { AlertTier, Slo } from '../shared/slo/model.js';
import { formatFactor } from '../shared/slo/tiers.js';
import { dashboard } from './dashboard-shell.js';
import type { Dashboard } from './grafana-model.js';
import { row, table, timeseries, type PanelDraft } from './panels.js';
import { bootsBy, Range, recordedSeries } from './queries.js';
import { onCallRolloutPanels, rolloutAnnotations } from './rollout-panels.js';
import { filterMatchers } from './variables.js';

export const OnCallDashboardMeta = { uid: OnCallDashboard.uid, title: 'bootwatch / On-call' };

const failed = [`${PromLabel.outcome}="failure"`];

function groupLegend(slo: Slo, suffix: string): string {
  const labels = slo.groupBy.map((l) => `{{${l}}}`).join(' ');
  return labels === '' ? suffix : `${labels} ${suffix}`;
}

function burnPanel(slo: Slo, tier: AlertTier): PanelDraft {
  const long = windowName(tier.longWindowMs);
  const short = windowName(tier.shortWindowMs);
  return timeseries({
    title: `${slo.name}: ${tier.severity} ${long}/${short} burn rate`,
    description:
      `Burn rate over ${long} and ${short}; the ${tier.severity} fires when both are above ` +
      `${formatFactor(tier.factor)}x (and, with few boots, when the failures are significant: see the runbook).`,
    queries: [
      {
        expr: recordedSeries(RecordName.burnRate(tier.longWindowMs), slo),
        legend: groupLegend(slo, long),
      },
      {
        expr: recordedSeries(RecordName.burnRate(tier.shortWindowMs), slo),
        legend: groupLegend(slo, short),
      },
      {
        expr: `${RecordName.burnThreshold}{slo="${slo.name}", window="${tierWindow(tier)}"}`,
        legend: 'threshold',
      },
    ],
    unit: 'x',
    min: 0,
    width: 12,
  });
}

export function onCallDashboard(slos: readonly Slo[]): Dashboard {
  const alerts = `ALERTS{alertname=~"Bootwatch.*", alertstate="firing", ${filterMatchers([PromLabel.amiVersion])[0]}}`;
  return dashboard({
    ...OnCallDashboardMeta,
    description:
      'Failed boots, burn rates against their thresholds, alerts and replacements (bootwatch)',
    from: 'now-6h',
    extraAnnotations: rolloutAnnotations(),
    panels: [
      row('Alerts'),
      table({
        title: 'Firing bootwatch alerts',
        description: `${AlertName.budgetBurn} per SLO, tier and group; ${AlertName.noData} when no collector is scraped.`,
        queries: [{ expr: alerts }],
        width: 12,
      }),
      timeseries({
        title: 'Alert state',
        description: 'Firing bootwatch alerts over time, by SLO, severity and AMI version.',
        queries: [
          {
            expr: `sum by (slo, severity, ami_version) (${alerts})`,
            legend: '{{slo}} {{severity}} {{ami_version}}',
          },
        ],
        unit: 'short',
        min: 0,
        bars: true,
        stacked: true,
        width: 12,
      }),
      row('Failed boots'),
      timeseries({
        title: 'Failed first boots by reason',
        description:
          'no_report: launched, never reported before the deadline; terminated_before_ready: ' +
          'terminated before it was ready. Both are decided by the collector.',
        queries: [{ expr: bootsBy([PromLabel.reason], Range.step, failed), legend: '{{reason}}' }],
        unit: 'short',
        min: 0,
        bars: true,
        stacked: true,
        width: 12,
      }),
      table({
        title: 'Failed first boots by AMI version, Auto Scaling group and reason (time range)',
        description: 'Where the failures are.',
        queries: [
          {
            expr: `${bootsBy([PromLabel.amiVersion, PromLabel.asg, PromLabel.reason], Range.whole, failed)}\n> 0`,
          },
        ],
        width: 12,
      }),
      ...slos.flatMap((slo) => [
        row(`Burn rates: ${slo.name}`),
        ...slo.tiers.map((tier) => burnPanel(slo, tier)),
      ]),
      ...onCallRolloutPanels(),
      row('Replacements'),
      timeseries({
        title: 'Launches per Auto Scaling group',
        description:
          'Instance launches from EC2 and Auto Scaling events. An ASG replacing instances that ' +
          'fail their health checks launches more than its desired capacity changes.',
        queries: [
          {
            expr: `sum by (asg) (increase(${PromMetric.launchesTotal}{${filterMatchers().join(', ')}}[${Range.step}]))`,
            legend: '{{asg}}',
          },
        ],
        unit: 'short',
        min: 0,
        bars: true,
        stacked: true,
        width: 12,
      }),
      timeseries({
        title: 'Instances running',
        description:
          'Launched and not terminated, from EC2 and Auto Scaling events (max over collector replicas).',
        queries: [{ expr: `max(${PromMetric.instancesRunning})`, legend: 'running' }],
        unit: 'short',
        min: 0,
        width: 12,
      }),
    ],
  });
}
