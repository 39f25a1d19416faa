// PromQL the dashboards share. Raw-counter panels filter on the AMI version, region and Auto
// Scaling group variables; panels on recorded SLO series (alerts/generated/) can only filter on
// the labels the SLO groups by, and say so in their description.
import {
  errorsExpr,
  eventsExpr,
  netBoots,
  selector,
  type SloQuerySpec,
} from '../alerts/slo-promql.js';
import { PromLabel, PromMetric } from '../shared/conventions.js';
import type { Slo } from '../shared/slo/model.js';
import { filterMatchers, FilterLabels } from './variables.js';

/** Grafana's range variables: the whole time range, and a rate window that fits the step. */
export const Range = { whole: '$__range', step: '$__rate_interval' } as const;

/** The filter variables an SLO's recorded series can honour (its group labels among them). */
export function sloFilterMatchers(slo: Pick<Slo, 'groupBy'>): string[] {
  return filterMatchers(FilterLabels.filter((l) => slo.groupBy.includes(l)));
}

/** A recorded series of one SLO, filtered by the variables it carries. */
export function recordedSeries(name: string, slo: Pick<Slo, 'name' | 'groupBy'>): string {
  return selector(name, [`slo="${slo.name}"`, ...sloFilterMatchers(slo)]);
}

/** Good / total of an SLO in `range`, by `groupBy`, with every filter variable applied. */
export function goodRatio(slo: SloQuerySpec, range: string, groupBy: readonly string[]): string {
  const errors = errorsExpr(slo, range, filterMatchers(), groupBy);
  const events = eventsExpr(slo, range, filterMatchers(), groupBy);
  return `1 - (\n${errors}\n)\n/ (\n${events}\n> 0)`;
}

/** First boots in `range` by `groupBy`, retractions subtracted, filters and `extra` applied. */
export function bootsBy(groupBy: readonly string[], range: string, extra: string[] = []): string {
  return netBoots(groupBy, [...extra, ...filterMatchers()], range);
}

/** A quantile of the time to ready of successful boots. */
export function timeToReadyQuantile(q: number, by: readonly string[], range: string): string {
  const bucket = selector(`${PromMetric.timeToReadySeconds}_bucket`, [
    `${PromLabel.outcome}="success"`,
    ...filterMatchers(),
  ]);
  const fn = range === Range.step ? 'rate' : 'increase';
  return `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (${fn}(${bucket}[${range}])))`;
}

/** A quantile of the boot phase durations (the phase histogram carries only ami_version, phase). */
export function phaseQuantile(
  q: number,
  by: readonly string[],
  range: string,
  extra: string[] = [],
) {
  const bucket = selector(`${PromMetric.bootPhaseSeconds}_bucket`, [
    ...extra,
    ...filterMatchers([PromLabel.amiVersion]),
  ]);
  const fn = range === Range.step ? 'rate' : 'increase';
  return `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (${fn}(${bucket}[${range}])))`;
}
