// The rollout panels and annotations, from the collector's rollout series
// (collector/metrics/rollout-gauges.ts): "Active rollouts and canary status" on the executive
// dashboard, "Recent deployments and rollbacks" on the on-call one (a table, and annotations on
// every time series: a band per canary, a mark per rollout finished). The series carry rollout
// labels only: the AMI version, region and Auto Scaling group variables do not apply.
//
// Several collector replicas export the same values (one store): `max by` reads one of them, and
// bootwatch_rollouts_total is folded the same way before it is summed (alerts/slo-promql.ts).
import { finishedRollouts } from '../alerts/slo-promql.js';
import { PromLabel, PromMetric } from '../shared/conventions.js';
import { PrometheusFromVariable } from './grafana-model.js';
import { row, stat, table, timeseries, type PanelDraft } from './panels.js';
import { Range } from './queries.js';

const { rollout, candidate, baseline, source, verdict, outcome } = PromLabel;

/** One row per active rollout with its latest verdict ("not judged yet" before the first look). */
export function activeRolloutsExpr(): string {
  const info = `max by (${rollout}, ${candidate}, ${baseline}, ${source}) (${PromMetric.rolloutInfo})`;
  return [
    `max by (${rollout}, ${candidate}, ${baseline}, ${source}, ${verdict}) (`,
    `  ${PromMetric.rolloutInfo}`,
    `  * on (${rollout}) group_left (${verdict})`,
    `  (max by (${rollout}, ${verdict}) (${PromMetric.rolloutVerdict}) == 1)`,
    ')',
    `or on (${rollout})`,
    `label_replace(${info}, "${verdict}", "not judged yet", "", "")`,
  ].join('\n');
}

/** Rollouts finished in `range` by outcome and source, replicas folded. */
function finishedBy(range: string, labels: readonly string[]): string {
  return `sum by (${labels.join(', ')}) (max by (${outcome}, ${source}) (increase(${PromMetric.rolloutsTotal}[${range}])))`;
}

function activeTable(title: string): PanelDraft {
  return table({
    title,
    description:
      'Canaries running now (started through the API or detected from launches) with the ' +
      'latest verdict of each: promote, hold or rollback. `bootwatch verdict --rollout <id>` ' +
      'shows every check.',
    queries: [{ expr: activeRolloutsExpr() }],
    unit: 'short',
    width: 16,
  });
}

export function executiveRolloutPanels(): PanelDraft[] {
  return [
    row('Active rollouts and canary status'),
    activeTable('Active rollouts and canary status'),
    stat({
      title: 'Rollback rate (time range)',
      description:
        'Rollouts rolled back over rollouts finished in the time range (M6; the rollout-success ' +
        'SLO wants under 1% over 90 days). Empty when no rollout finished.',
      queries: [
        {
          expr: `${finishedRollouts(Range.whole, 'rolled_back')}\n/\n${finishedRollouts(Range.whole)}`,
        },
      ],
      unit: 'percentunit',
      decimals: 1,
      steps: [{ color: 'red', value: 0.01 }],
      width: 8,
    }),
  ];
}

export function onCallRolloutPanels(): PanelDraft[] {
  return [
    row('Recent deployments and rollbacks'),
    activeTable('Active rollouts'),
    table({
      title: 'Rollouts finished (time range)',
      description:
        'Promoted, rolled back and aborted rollouts in the time range, by source (api: a ' +
        'pipeline; detected: from launches). Each is also an annotation on the time series.',
      queries: [{ expr: finishedBy(Range.whole, [outcome, source]) }],
      unit: 'short',
      decimals: 0,
      width: 8,
    }),
    timeseries({
      title: 'Rollouts finished per outcome',
      description: 'Promotes, rollbacks and aborts over time, pipelines and detected alike.',
      queries: [{ expr: finishedBy(Range.step, [outcome]), legend: '{{outcome}}' }],
      unit: 'short',
      min: 0,
      bars: true,
      stacked: true,
      width: 24,
    }),
  ];
}

/** A Grafana annotation query on Prometheus (the dashboard's data source). */
export interface PromAnnotation {
  name: string;
  datasource: typeof PrometheusFromVariable;
  enable: boolean;
  hide: boolean;
  iconColor: string;
  expr: string;
  step: string;
  titleFormat: string;
  textFormat: string;
  tagKeys: string;
  useValueForTime: boolean;
}

/** Canaries as bands (while their series exists) and finished rollouts as marks. */
export function rolloutAnnotations(): PromAnnotation[] {
  const base = {
    datasource: PrometheusFromVariable,
    enable: true,
    hide: false,
    step: '1m',
    useValueForTime: false,
  };
  return [
    {
      ...base,
      name: 'Canaries',
      iconColor: 'rgba(255, 152, 48, 1)',
      expr: `max by (${rollout}, ${candidate}, ${baseline}, ${source}) (${PromMetric.rolloutInfo})`,
      titleFormat: `Rollout {{${rollout}}}: {{${candidate}}} canary`,
      textFormat: `against {{${baseline}}} ({{${source}}})`,
      tagKeys: `${source}`,
    },
    {
      ...base,
      name: 'Rollouts finished',
      iconColor: 'rgba(242, 73, 92, 1)',
      expr: `${finishedBy('2m', [outcome, source])} > 0`,
      titleFormat: `Rollout {{${outcome}}}`,
      textFormat: `{{${source}}}`,
      tagKeys: `${outcome},${source}`,
    },
  ];
}
