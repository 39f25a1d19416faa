// The recording rules of one SLO: per window, events and errors summed by the SLO's group labels,
// their ratio, the burn rate and (evidence windows) the Wilson lower bound of the ratio; over the SLO
// window, the error budget remaining; and constants (objective, tier thresholds) for dashboards.
// Every series carries `slo` and the SLO's group labels, nothing else, so that vector matching
// between them needs no `on()`.
import { budgetRatio } from '../shared/slo/budget.js';
import { DefaultSparseRule, type Slo } from '../shared/slo/model.js';
import { RecordName, windowName } from './rule-names.js';
import type { RecordingRule } from './rule-file.js';
import { scaledRange, SliceMs, sloWindows } from './rule-windows.js';
import { errorsExpr, eventsExpr } from './slo-promql.js';

/** Enough digits for any objective or factor, none of the float noise (0.0144, not 0.014400000000000001). */
export function promNumber(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/** 1 - objective, as the engine computes it (0.001 for 99.9%, not 0.0010000000000000009). */
export function errorBudget(slo: Pick<Slo, 'objective'>): number {
  return budgetRatio(slo.objective);
}

/** `name{slo="x"}`: how rules select an SLO's own recorded series. */
export function sloSeries(name: string, slo: Pick<Slo, 'name'>): string {
  return `${name}{slo="${slo.name}"}`;
}

/**
 * Wilson score interval, lower bound, of `errors` among `events` (ratio p = errors/events):
 *   (p + z²/2n - z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
 * e.g. 1 failure in 5 boots, z = 3: (0.2 + 0.9 - 3·sqrt(0.032 + 0.09)) / 2.8 = 0.0186: with 99.7%
 * confidence at least 1.86% of boots fail, more than the 1.44% a 14.4x burn of a 99.9% SLO allows.
 */
export function wilsonLowerExpr(ratio: string, events: string, z: number): string {
  const z2 = promNumber(z * z);
  const halfZ2 = promNumber((z * z) / 2);
  const quarterZ2 = promNumber((z * z) / 4);
  return [
    '(',
    `  ${ratio}`,
    `  + ${halfZ2} / ${events}`,
    `  - ${promNumber(z)} * sqrt(${ratio} * (1 - ${ratio}) / ${events} + ${quarterZ2} / ${events} ^ 2)`,
    ')',
    `/ (1 + ${z2} / ${events})`,
  ].join('\n');
}

export function recordingRules(slo: Slo, timeScale: number): RecordingRule[] {
  const z = (slo.sparse ?? DefaultSparseRule).z;
  const labels = { slo: slo.name };
  const windows = sloWindows(slo);
  const budget = errorBudget(slo);
  const rules: RecordingRule[] = [];
  for (const w of windows.all) {
    const range = scaledRange(w, timeScale);
    rules.push({ record: RecordName.events(w), expr: eventsExpr(slo, range), labels });
    rules.push({ record: RecordName.errors(w), expr: errorsExpr(slo, range), labels });
  }
  // The SLO window comes last: its counts are sums of the slices recorded above.
  const sloWindowIsTier = windows.all.includes(slo.windowMs);
  for (const w of sloWindowIsTier ? windows.all : [...windows.all, slo.windowMs]) {
    if (w === slo.windowMs && !sloWindowIsTier) rules.push(...sloWindowCounts(slo, timeScale));
    const events = sloSeries(RecordName.events(w), slo);
    const errors = sloSeries(RecordName.errors(w), slo);
    const ratio = sloSeries(RecordName.errorRatio(w), slo);
    rules.push({
      record: RecordName.errorRatio(w),
      expr: `clamp_max(${errors} / (${events} > 0), 1)`,
      labels,
    });
    rules.push({
      record: RecordName.burnRate(w),
      expr: `${ratio} / ${promNumber(budget)}`,
      labels,
    });
    if (windows.evidence.includes(w)) {
      rules.push({
        record: RecordName.wilsonLower(w),
        expr: wilsonLowerExpr(ratio, events, z),
        labels,
      });
    }
  }
  rules.push({
    record: RecordName.budgetRemaining(slo.windowMs),
    expr: `1 - ${sloSeries(RecordName.errorRatio(slo.windowMs), slo)} / ${promNumber(budget)}`,
    labels,
  });
  rules.push({
    record: RecordName.objective,
    expr: `vector(${promNumber(slo.objective)})`,
    labels,
  });
  for (const t of slo.tiers) {
    rules.push({
      record: RecordName.burnThreshold,
      expr: `vector(${promNumber(t.factor)})`,
      labels: { ...labels, severity: t.severity, window: tierWindow(t) },
    });
  }
  return rules;
}

/** The `window` label of a tier: `1h/5m`. */
export function tierWindow(t: { longWindowMs: number; shortWindowMs: number }): string {
  return `${windowName(t.longWindowMs)}/${windowName(t.shortWindowMs)}`;
}

/** Events and errors over the SLO window, summed from the recorded one-hour slices. */
function sloWindowCounts(slo: Slo, timeScale: number): RecordingRule[] {
  const span = `[${scaledRange(slo.windowMs, timeScale)}:${scaledRange(SliceMs, timeScale)}]`;
  const labels = { slo: slo.name };
  return [
    {
      record: RecordName.events(slo.windowMs),
      expr: `sum_over_time(${sloSeries(RecordName.events(SliceMs), slo)}${span})`,
      labels,
    },
    {
      record: RecordName.errors(slo.windowMs),
      expr: `sum_over_time(${sloSeries(RecordName.errors(SliceMs), slo)}${span})`,
      labels,
    },
  ];
}
