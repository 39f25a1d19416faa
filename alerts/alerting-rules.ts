// The alerting rules: one burn-rate alert per SLO and tier, and the one "no data" alert.
//
// A tier with factor f fires for a group when (the engine's sparse-traffic rule, the same terms):
//   errorRatio(long) > r  and  errorRatio(short) > r
//   and (events(long) >= n_min  or  wilsonLower(errors(E), events(E), z) > r)
// with r = f * (1 - objective), n_min = ceil(1 / r) and E = max(long window, evidence window).
// Below n_min events one failure is already above r, so the ratio alone would page on noise; the
// Wilson bound asks that, with confidence given by z, the true error ratio over the evidence
// window be above r. The alert's value is the long-window burn rate.
//
// Hysteresis: a burn alert keeps firing for one short window after its condition last held
// (keep_firing_for), so that it does not resolve and fire again while the failures go on. At
// sparse traffic the condition comes and goes with each boot: the 1h/5m tier holds only while a
// failure is in the last 5 minutes, a 6h/30m ratio of 1 slow boot in 3 drops below 0.3 with the next
// fast one and rises with the next slow one. Example, failures at 10:00, 10:07 and 10:13: without it,
// the 1h/5m page fires at 10:00, resolves at 10:05, fires at 10:07, resolves at 10:12, fires at
// 10:13; with it, it fires at 10:00 and resolves at 10:23 (10:18, when 10:13 leaves the short
// window, plus 5 minutes). The first page is not delayed; a resolution comes one short window
// later. The collector's Alertmanager push keeps alerts alike (collector/slo/alert-tracker.ts).
//
// No data: every recorded series exists only where events > 0, so a group without boots has no
// ratio and no alert. Only a Prometheus that scrapes no collector at all says so (BootwatchNoData):
// a quiet fleet is not an incident, a blind one is.
import { PromMetric } from '../shared/conventions.js';
import type { AlertTier, Slo } from '../shared/slo/model.js';
import { burnAnnotations, noDataAnnotations, type AnnotationLinks } from './alert-annotations.js';
import { minEventsForClassic, tierThresholdRatio } from '../shared/slo/sparse-rule.js';
import { promNumber, sloSeries, tierWindow } from './recording-rules.js';
import { AlertName, RecordName, Severity } from './rule-names.js';
import type { AlertingRule } from './rule-file.js';
import { scaledRange, tierEvidenceWindow } from './rule-windows.js';

/** How long a burn alert keeps firing after its condition stopped holding: the short window. */
export function keepFiringForMs(tier: Pick<AlertTier, 'shortWindowMs'>): number {
  return tier.shortWindowMs;
}

/** How long Prometheus must see no collector before BootwatchNoData fires (nominal). */
export const NoDataForMs = 15 * 60_000;

export interface TierThresholds {
  /** r = factor * budget: the error ratio both windows must exceed. */
  errorRatio: number;
  /** n_min = ceil(1 / r): from this many events on, the ratio alone is trusted. */
  minEvents: number;
}

/**
 * The engine's numbers (shared/slo/sparse-rule.ts), so that rules and engine decide alike. r is
 * written with 12 significant digits (0.0144, not 0.014400000000000001): the two differ by an ulp
 * or so, and an error ratio k/n lands between them only for n around 1e15.
 */
export function tierThresholds(slo: Pick<Slo, 'objective'>, tier: Pick<AlertTier, 'factor'>) {
  const errorRatio = tierThresholdRatio(tier.factor, slo.objective);
  return { errorRatio, minEvents: minEventsForClassic(errorRatio) } satisfies TierThresholds;
}

export function burnAlert(
  slo: Slo,
  tier: AlertTier,
  links: AnnotationLinks,
  timeScale: number,
): AlertingRule {
  const { errorRatio, minEvents } = tierThresholds(slo, tier);
  const r = promNumber(errorRatio);
  const long = (name: (ms: number) => string) => sloSeries(name(tier.longWindowMs), slo);
  const short = (name: (ms: number) => string) => sloSeries(name(tier.shortWindowMs), slo);
  const evidence = sloSeries(RecordName.wilsonLower(tierEvidenceWindow(slo, tier)), slo);
  const expr = [
    long(RecordName.burnRate),
    `and ${long(RecordName.errorRatio)} > ${r}`,
    `and ${short(RecordName.errorRatio)} > ${r}`,
    'and (',
    `  ${long(RecordName.events)} >= ${minEvents}`,
    `  or ${evidence} > ${r}`,
    ')',
  ].join('\n');
  return {
    alert: AlertName.budgetBurn,
    expr,
    keepFiringFor: scaledRange(keepFiringForMs(tier), timeScale),
    labels: { severity: tier.severity, slo: slo.name, window: tierWindow(tier) },
    annotations: burnAnnotations(slo, tier, links, timeScale),
  };
}

export function noDataAlert(links: AnnotationLinks, timeScale: number): AlertingRule {
  const forText = scaledRange(NoDataForMs, 1);
  return {
    alert: AlertName.noData,
    expr: `absent(${PromMetric.instancesRunning})`,
    for: scaledRange(NoDataForMs, timeScale),
    labels: { severity: Severity.info },
    annotations: noDataAnnotations(links, forText),
  };
}
