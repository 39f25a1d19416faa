// Executive: is each AMI version good enough, and which ones are rolling out? Boot success and
// time to ready per AMI version against their objectives, p95 time to ready, error budget left,
// the share of boots each version takes, and the vulnerabilities of each version's latest scan.
import { errorBudget, promNumber } from '../alerts/recording-rules.js';
import { RecordName, windowName } from '../alerts/rule-names.js';
import { sloWindows } from '../alerts/rule-windows.js';
import { PromLabel } from '../shared/conventions.js';
import type { Slo } from '../shared/slo/model.js';
import { dashboard } from './dashboard-shell.js';
import type { Dashboard } from './grafana-model.js';
import { barGauge, row, stat, timeseries, type PanelDraft } from './panels.js';
import { bootsBy, goodRatio, Range, recordedSeries, timeToReadyQuantile } from './queries.js';
import { executiveRolloutPanels } from './rollout-panels.js';
import { vulnerabilityTrendPanels } from './scan-panels.js';

export const ExecutiveDashboard = { uid: 'bootwatch-executive', title: 'bootwatch / Executive' };

const DayMs = 86_400_000;
const byVersion = [PromLabel.amiVersion];

/** The rolling window shown over time: the first tier window of a day or more, else the longest. */
function rollingWindow(slo: Slo): number {
  const long = sloWindows(slo).long;
  return long.find((w) => w >= DayMs) ?? long[long.length - 1] ?? slo.windowMs;
}

function sloPanels(slo: Slo): PanelDraft[] {
  const objective = promNumber(slo.objective);
  const floor = Math.max(0, Number((1 - 10 * errorBudget(slo)).toPrecision(12)));
  const steps = [{ color: 'green', value: slo.objective }];
  const rolling = rollingWindow(slo);
  const sloWindow = windowName(slo.windowMs);
  return [
    barGauge({
      title: `${slo.name}: good boots per AMI version (time range)`,
      description:
        `${slo.description}. Good first boots over all first boots in the dashboard's time ` +
        `range; red below the objective (${objective}).`,
      queries: [{ expr: goodRatio(slo, Range.whole, byVersion), legend: '{{ami_version}}' }],
      unit: 'percentunit',
      min: floor,
      max: 1,
      decimals: 2,
      baseColor: 'red',
      steps,
      width: 8,
    }),
    timeseries({
      title: `${slo.name}: rolling ${windowName(rolling)} good ratio per ${slo.groupBy.join(', ') || 'fleet'}`,
      description:
        `1 - the recorded ${windowName(rolling)} error ratio (alerts/generated/). Filters on the ` +
        `labels the SLO groups by only.`,
      queries: [
        {
          expr: `1 - ${recordedSeries(RecordName.errorRatio(rolling), slo)}`,
          legend: slo.groupBy.map((l) => `{{${l}}}`).join(' ') || 'fleet',
        },
        { expr: `${RecordName.objective}{slo="${slo.name}"}`, legend: 'objective' },
      ],
      unit: 'percentunit',
      min: floor,
      max: 1,
      width: 8,
    }),
    barGauge({
      title: `${slo.name}: error budget remaining (${sloWindow})`,
      description:
        `1 - errors / (budget x events) over the last ${sloWindow}, summed from whole hours; ` +
        'negative once the budget is spent.',
      queries: [
        {
          expr: recordedSeries(RecordName.budgetRemaining(slo.windowMs), slo),
          legend: slo.groupBy.map((l) => `{{${l}}}`).join(' ') || 'fleet',
        },
      ],
      unit: 'percentunit',
      max: 1,
      decimals: 1,
      baseColor: 'red',
      steps: [
        { color: 'orange', value: 0 },
        { color: 'green', value: 0.25 },
      ],
      width: 8,
    }),
  ];
}

export function executiveDashboard(slos: readonly Slo[]): Dashboard {
  const ttrThresholds = slos
    .filter((s) => s.sli === 'time_to_ready' && s.thresholdSeconds !== null)
    .map((s) => ({ color: 'red', value: s.thresholdSeconds }));
  return dashboard({
    ...ExecutiveDashboard,
    description: 'Boot success and time to ready per AMI version against their SLOs (bootwatch)',
    from: 'now-7d',
    panels: [
      row('Service levels per AMI version'),
      ...slos.flatMap(sloPanels),
      row('Time to ready'),
      timeseries({
        title: 'p95 time to ready of successful boots, per AMI version',
        description:
          'From launch (pendingTime) to cloud-init done and every readiness probe passing.',
        queries: [
          { expr: timeToReadyQuantile(0.95, byVersion, Range.step), legend: '{{ami_version}}' },
        ],
        unit: 's',
        min: 0,
        steps: ttrThresholds,
        width: 16,
      }),
      barGauge({
        title: 'p95 time to ready per AMI version (time range)',
        description: 'Successful first boots in the dashboard time range.',
        queries: [
          { expr: timeToReadyQuantile(0.95, byVersion, Range.whole), legend: '{{ami_version}}' },
        ],
        unit: 's',
        min: 0,
        steps: ttrThresholds,
        width: 8,
      }),
      row('Versions rolling out'),
      timeseries({
        title: 'First boots per AMI version',
        description: 'A version rolling out takes a growing share; one rolled back stops booting.',
        queries: [{ expr: bootsBy(byVersion, Range.step), legend: '{{ami_version}}' }],
        unit: 'short',
        min: 0,
        stacked: true,
        bars: true,
        width: 12,
      }),
      barGauge({
        title: 'Share of first boots per AMI version (time range)',
        description: 'First boots of each version over all first boots in the time range.',
        queries: [
          {
            expr: `${bootsBy(byVersion, Range.whole)}\n/ scalar(\n${bootsBy([], Range.whole)}\n)`,
            legend: '{{ami_version}}',
          },
        ],
        unit: 'percentunit',
        min: 0,
        max: 1,
        decimals: 1,
        baseColor: 'blue',
        width: 8,
      }),
      stat({
        title: 'AMI versions booting (time range)',
        description: 'Versions with at least one first boot in the time range.',
        queries: [{ expr: `count(\n${bootsBy(byVersion, Range.whole)}\n> 0)` }],
        unit: 'short',
        baseColor: 'blue',
        width: 4,
        height: 8,
      }),
      ...executiveRolloutPanels(),
      ...vulnerabilityTrendPanels(),
    ],
  });
}
