// The SLO gauges on /metrics, read from the engine's latest report (evaluated first when stale):
//   bootwatch_sli_ratio{slo,window,<group>}                 the SLI over each window
//   bootwatch_error_budget_remaining_ratio{slo,<group>}     over the SLO window
//   bootwatch_burn_rate{slo,window,<group>}                 each window
//   bootwatch_slo_alert_state{slo,severity,<group>}         1 while a tier of that severity fires
// A window without events has no sample (never NaN). Groups past the label cap fold (fold-groups.ts).
import type { Metric, MetricValue, Registry } from 'prom-client';
import { PromLabel, PromMetric } from '../../shared/conventions.js';
import { foldGroups } from './fold-groups.js';
import type { GroupStatus, SloReport, SloStatus } from './report.js';

type Labels = Record<string, string>;
type Sample = MetricValue<string>;

interface GaugeSpec {
  name: string;
  help: string;
  samples: (slo: SloStatus, group: GroupStatus, labels: Labels) => Sample[];
}

/** One sample per window with a value (a window without events has none), labelled `window`. */
function perWindow(
  g: GroupStatus,
  labels: Labels,
  value: (w: GroupStatus['windows'][number]) => number | null,
): Sample[] {
  return g.windows.flatMap((w) => {
    const v = value(w);
    return v === null ? [] : [{ labels: { ...labels, [PromLabel.window]: w.window }, value: v }];
  });
}

const Gauges: GaugeSpec[] = [
  {
    name: PromMetric.sliRatio,
    help: 'SLI over each window: good events / events (first boots, or instance-minutes for agent coverage).',
    samples: (_slo, g, labels) => perWindow(g, labels, (w) => w.sliRatio),
  },
  {
    name: PromMetric.errorBudgetRemaining,
    help: 'Share of the error budget left over the SLO window: 1 - errors / allowed errors (negative once overspent).',
    samples: (_slo, g, labels) =>
      g.budget.remaining === null ? [] : [{ labels, value: g.budget.remaining }],
  },
  {
    name: PromMetric.burnRate,
    help: 'Error ratio over each window divided by the error budget (1 - objective); 1 spends the budget exactly over the SLO window.',
    samples: (_slo, g, labels) => perWindow(g, labels, (w) => w.burnRate),
  },
  {
    name: PromMetric.sloAlertState,
    help: 'Burn-rate alert state of the SLO engine: 1 while a tier of this severity fires (multiwindow rule with the sparse-traffic guard).',
    samples: (_slo, g, labels) =>
      (['page', 'ticket'] as const).map((severity) => ({
        labels: { ...labels, [PromLabel.severity]: severity },
        value: fires(g, severity) ? 1 : 0,
      })),
  },
];

/** A tier of this severity fires (a folded group has no tiers: its members' worst level says). */
function fires(g: GroupStatus, severity: 'page' | 'ticket'): boolean {
  return g.alert === severity || g.tiers.some((t) => t.firing && t.severity === severity);
}

/**
 * Registers the four gauges. `report` gives the latest report (evaluating when stale) or null;
 * on an error the previous report is used.
 */
export function registerSloGauges(
  registry: Registry,
  report: () => Promise<SloReport | null>,
  labelCap: number,
): void {
  let last: SloReport | null = null;
  let pending: Promise<SloReport | null> | null = null;
  // One evaluation per scrape, shared by the four gauges, and one fold per report.
  const read = () => {
    pending ??= report()
      .then((r) => (last = r ?? last))
      .catch(() => last)
      .finally(() => {
        pending = null;
      });
    return pending;
  };
  const folds = new WeakMap<SloReport, GroupStatus[][]>();
  const folded = (r: SloReport): GroupStatus[][] => {
    let f = folds.get(r);
    if (!f) folds.set(r, (f = r.slos.map((slo) => foldGroups(slo, labelCap))));
    return f;
  };
  for (const spec of Gauges) {
    const metric = {
      name: spec.name,
      help: spec.help,
      type: 'gauge',
      aggregator: 'omit' as const,
      get: async () => {
        const r = await read();
        const values: Sample[] = [];
        const groups = r ? folded(r) : [];
        r?.slos.forEach((slo, i) => {
          for (const g of groups[i]!) {
            values.push(...spec.samples(slo, g, { [PromLabel.slo]: slo.name, ...g.labels }));
          }
        });
        return {
          name: spec.name,
          help: spec.help,
          type: 'gauge',
          aggregator: 'omit' as const,
          values,
        };
      },
      reset: () => undefined,
    };
    registry.registerMetric(metric as unknown as Metric);
  }
}
