// PromQL for an SLO's good and bad events, from the collector's counters. Pure string builders,
// shared by the recording rules, the alert annotations and the dashboards, so that a panel and an
// alert count the same boots the same way.
//
// Counting (DESIGN.md, SLO engine; collector/store/counter-deltas.ts):
// - events = first boots = increase(bootwatch_boots_total) - increase(bootwatch_boots_retracted_total):
//   a corrected boot is counted again under its new labels and retracted under its old ones.
// - boot_success errors = the same difference on outcome="failure" (no_report included: a launch
//   that never reported is a failed boot).
// - time_to_ready errors = events - successes within the threshold, read from the histogram
//   bucket le=threshold of outcome="success" minus the same bucket of the retraction histogram
//   (a correction takes back the observation it replaces). A failure is never ready, so it is an
//   error too.
// - rollout_success (M6) events = rollouts finished, errors = those rolled back, from
//   bootwatch_rollouts_total: the store's own count, the same on every replica, so replicas are
//   folded with max (by outcome and source), never summed.
// Each difference is clamped at 0: a correction in the window of a boot counted before it would
// otherwise make the window negative. Errors are 0, not absent, for a group with boots and none
// bad, so that every group with events has a ratio.
import { PromLabel, PromMetric } from '../shared/conventions.js';
import { BootwatchError } from '../shared/errors.js';
import type { Slo } from '../shared/slo/model.js';

/** What the queries need to know of an SLO. */
export type SloQuerySpec = Pick<Slo, 'name' | 'sli' | 'thresholdSeconds' | 'groupBy' | 'source'>;

/** `metric{m1,m2}`; matchers are PromQL matcher texts such as `ami_version=~"$ami_version"`. */
export function selector(metric: string, matchers: readonly string[]): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(', ')}}`;
}

export function sumBy(labels: readonly string[], expr: string): string {
  return labels.length === 0 ? `sum(${expr})` : `sum by (${labels.join(', ')}) (${expr})`;
}

function indent(text: string, spaces = 2): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

/** `clamp_min(a - (b or a * 0), 0)`: a minus b where b has the group, a itself where it has not. */
export function clampedDifference(a: string, b: string): string {
  return [
    'clamp_min(',
    indent(a),
    '  - (',
    indent(b, 4),
    indent(`or ${a} * 0`, 4),
    '  ),',
    '  0',
    ')',
  ].join('\n');
}

function increaseBy(
  groupBy: readonly string[],
  metric: string,
  m: readonly string[],
  range: string,
) {
  return sumBy(groupBy, `increase(${selector(metric, m)}[${range}])`);
}

/** First boots counted in `range` (retractions subtracted), summed by `groupBy`. */
export function netBoots(groupBy: readonly string[], matchers: readonly string[], range: string) {
  return clampedDifference(
    increaseBy(groupBy, PromMetric.bootsTotal, matchers, range),
    increaseBy(groupBy, PromMetric.bootsRetractedTotal, matchers, range),
  );
}

/** The `le` matcher of a bucket bound, also matching Prometheus 3's normalised `120.0`. */
export function leMatcher(bound: number): string {
  const text = String(bound).replace('.', '\\\\.');
  return Number.isInteger(bound) ? `le=~"${text}(\\\\.0)?"` : `le=~"${text}"`;
}

/**
 * Guards the builders against an SLI without Prometheus rules (callers filter with
 * hasPrometheusRules). Everything else an SLO needs to become PromQL (a threshold on a bucket
 * bound, group labels the histogram carries) is checked once, by shared/slo/validate.ts.
 */
export function checkExpressible(slo: SloQuerySpec): void {
  if (slo.sli !== 'boot_success' && slo.sli !== 'time_to_ready' && slo.sli !== 'rollout_success') {
    throw new BootwatchError(
      'BW_SLO_INVALID',
      `SLO '${slo.name}' (${slo.source}): sli '${slo.sli}' has no Prometheus rules; expected boot_success, time_to_ready or rollout_success`,
    );
  }
}

/** Rollouts finished in `range` (of one outcome when given), replicas folded (see above). */
export function finishedRollouts(range: string, outcome?: string): string {
  const m = outcome === undefined ? [] : [`${PromLabel.outcome}="${outcome}"`];
  const perReplica = `increase(${selector(PromMetric.rolloutsTotal, m)}[${range}])`;
  return `sum(max by (${PromLabel.outcome}, ${PromLabel.source}) (${perReplica}))`;
}

/** Events of an SLO in `range`, by `groupBy` (the SLO's own labels unless told otherwise). */
export function eventsExpr(
  slo: SloQuerySpec,
  range: string,
  matchers: readonly string[] = [],
  groupBy: readonly string[] = slo.groupBy,
): string {
  checkExpressible(slo);
  if (slo.sli === 'rollout_success') return finishedRollouts(range);
  return netBoots(groupBy, matchers, range);
}

/** Bad events of an SLO in `range`, by `groupBy`. */
export function errorsExpr(
  slo: SloQuerySpec,
  range: string,
  matchers: readonly string[] = [],
  groupBy: readonly string[] = slo.groupBy,
): string {
  checkExpressible(slo);
  if (slo.sli === 'rollout_success') {
    return `${finishedRollouts(range, 'rolled_back')}\nor\n${finishedRollouts(range)} * 0`;
  }
  if (slo.sli === 'boot_success') {
    // A group that never failed has no failure series: its errors are 0, not absent, so that a
    // healthy AMI version still has an error ratio, a burn rate and a budget.
    const failures = netBoots(groupBy, [`${PromLabel.outcome}="failure"`, ...matchers], range);
    return `${failures}\nor\n${netBoots(groupBy, matchers, range)} * 0`;
  }
  const ready = [
    `${PromLabel.outcome}="success"`,
    leMatcher(slo.thresholdSeconds ?? 0),
    ...matchers,
  ];
  const good = clampedDifference(
    increaseBy(groupBy, `${PromMetric.timeToReadySeconds}_bucket`, ready, range),
    increaseBy(groupBy, `${PromMetric.timeToReadyRetractedSeconds}_bucket`, ready, range),
  );
  return clampedDifference(netBoots(groupBy, matchers, range), good);
}
