// The in-memory mirror of this replica's persisted counters: one entry per stored series (exact
// label values, as the store keeps them), a counter's value or a histogram's bucket counts and
// sum. Seeded at startup from store.loadCounters() and moved by the CounterDelta[] each committed
// write returns, so /metrics continues where the last process stopped and Prometheus rate() sees
// no reset. Applying a delta is one map lookup and a few additions; folding labels (label-folder.ts)
// and making the cumulative `le` series happen only when /metrics is scraped.
import { OtherLabelValue, PromLabel, UnknownVersion } from '../../shared/conventions.js';
import { seriesKey } from '../store/series-key.js';
import type { CounterDelta } from '../store/store.js';
import { Families, type Family } from './families.js';
import { LabelFolder } from './label-folder.js';

export interface ExportedValue {
  metricName: string;
  labels: Record<string, string>;
  value: number;
}

interface Series {
  labels: readonly string[];
  /** A counter's value or a histogram's sum. */
  value: number;
  /** A histogram's observations per bucket (not cumulative, +Inf last); empty for a counter. */
  buckets: number[];
}

/** The labels whose values come from agents and events, bounded on /metrics by a LabelFolder. */
export const CappedLabels = [
  PromLabel.amiVersion,
  PromLabel.amiId,
  PromLabel.region,
  PromLabel.asg,
  PromLabel.instanceType,
] as const;
export type CappedLabel = (typeof CappedLabels)[number];

/** Label values seen most recently first, per capped label (recent-labels.ts). */
export type RecentLabelValues = Partial<Record<CappedLabel, string[]>>;

export interface LabelCaps {
  /** Distinct ami_version and ami_id values. */
  versions: number;
  /** Distinct region, asg and instance_type values, each. */
  groups: number;
}

interface FamilySeries {
  family: Family;
  /** Where each capped label is among the family's labels (-1: not a label of it). */
  at: Record<CappedLabel, number>;
  series: Map<string, Series>;
}

export class CounterSeries {
  private readonly byFamily = new Map<string, FamilySeries>();
  private readonly folders: Record<CappedLabel, LabelFolder>;

  constructor(caps: LabelCaps | number) {
    const { versions, groups } = typeof caps === 'number' ? { versions: caps, groups: caps } : caps;
    // DESIGN.md: unknown or excess AMI versions fold into `other`. An empty region, asg or
    // instance type (not known, or no Auto Scaling group) is exported as it is.
    const empty = new Set(['']);
    this.folders = {
      [PromLabel.amiVersion]: new LabelFolder(versions, new Set([UnknownVersion])),
      [PromLabel.amiId]: new LabelFolder(versions),
      [PromLabel.region]: new LabelFolder(groups, undefined, empty),
      [PromLabel.asg]: new LabelFolder(groups, undefined, empty),
      [PromLabel.instanceType]: new LabelFolder(groups, undefined, empty),
    };
    for (const family of Families) {
      const at = {} as Record<CappedLabel, number>;
      for (const label of CappedLabels) at[label] = family.labels.indexOf(label);
      this.byFamily.set(family.name, { family, at, series: new Map() });
    }
  }

  /**
   * Loads persisted absolute values (loadCounters returns them as deltas from zero). The label
   * values given most recent first keep their names; the rest of those in `counters` fold.
   */
  seed(counters: readonly CounterDelta[], recent: RecentLabelValues): void {
    for (const label of CappedLabels) {
      const stored: string[] = [];
      for (const c of counters) {
        const i = this.byFamily.get(c.family)?.at[label] ?? -1;
        if (i >= 0) stored.push(c.labels[i] ?? '');
      }
      this.folders[label].seed([...(recent[label] ?? []), ...stored.sort()]);
    }
    for (const c of counters) this.add(c);
  }

  /** Adds committed increments. Counters never go down: a negative delta is ignored. */
  apply(deltas: readonly CounterDelta[]): void {
    for (const d of deltas) {
      const f = this.byFamily.get(d.family);
      if (f === undefined) continue;
      for (const label of CappedLabels) {
        const i = f.at[label];
        if (i >= 0) this.folders[label].touch(d.labels[i] ?? '');
      }
      this.add(d);
    }
  }

  /** The exported (folded, summed) values of one family, histograms with every bucket. */
  exported(family: Family): ExportedValue[] {
    const f = this.byFamily.get(family.name);
    if (f === undefined) return [];
    const groups = new Map<string, Series>();
    for (const s of f.series.values()) {
      const labels = this.fold(f, s.labels);
      const key = seriesKey(labels);
      const group = groups.get(key);
      if (group === undefined) {
        groups.set(key, { labels, value: s.value, buckets: [...s.buckets] });
        continue;
      }
      group.value += s.value;
      s.buckets.forEach((n, i) => (group.buckets[i] = (group.buckets[i] ?? 0) + n));
    }
    const out: ExportedValue[] = [];
    for (const g of groups.values()) {
      const labels: Record<string, string> = {};
      family.labels.forEach((name, i) => (labels[name] = g.labels[i] ?? ''));
      if (family.type === 'counter') out.push({ metricName: family.name, labels, value: g.value });
      else out.push(...histogramValues(family, labels, g));
    }
    return out;
  }

  private add(d: CounterDelta): void {
    const f = this.byFamily.get(d.family);
    if (f === undefined || !acceptable(d)) return;
    let s = f.series.get(d.key);
    if (s === undefined) {
      const buckets = new Array<number>(
        f.family.type === 'histogram' ? f.family.bounds.length + 1 : 0,
      );
      s = { labels: d.labels, value: 0, buckets: buckets.fill(0) };
      f.series.set(d.key, s);
    }
    if (d.kind === 'counter') {
      s.value += d.value;
      return;
    }
    s.value += d.sum;
    for (let i = 0; i < s.buckets.length; i++)
      s.buckets[i] = (s.buckets[i] ?? 0) + (d.buckets[i] ?? 0);
  }

  private fold(f: FamilySeries, values: readonly string[]): string[] {
    const out = [...values];
    for (const label of CappedLabels) {
      const i = f.at[label];
      if (i >= 0) out[i] = this.folders[label].fold(values[i] ?? '');
    }
    // An AMI id of a folded version folds too: the pair would otherwise still be unbounded.
    const version = f.at[PromLabel.amiVersion];
    const amiId = f.at[PromLabel.amiId];
    if (version >= 0 && amiId >= 0 && out[version] === OtherLabelValue)
      out[amiId] = OtherLabelValue;
    return out;
  }
}

/** Whether a delta only adds: a counter moved by a positive amount, a histogram by observations. */
function acceptable(d: CounterDelta): boolean {
  if (d.kind === 'counter') return d.value > 0 && Number.isFinite(d.value);
  if (!(d.sum >= 0 && Number.isFinite(d.sum))) return false;
  for (let i = 0; i < d.buckets.length; i++) {
    const n = d.buckets[i] as number;
    if (!(n >= 0 && Number.isFinite(n))) return false;
  }
  return true;
}

/**
 * Buckets are cumulative, as Prometheus has them: `le="30"` counts every observation <= 30 s.
 * Every label set exports the full bucket list, ending in +Inf = _count.
 */
function histogramValues(
  family: Family,
  labels: Record<string, string>,
  series: Series,
): ExportedValue[] {
  const bucket = `${family.name}_bucket`;
  const out: ExportedValue[] = [];
  let running = 0;
  series.buckets.forEach((n, i) => {
    running += n;
    const le = i < family.bounds.length ? String(family.bounds[i]) : '+Inf';
    out.push({ metricName: bucket, labels: { ...labels, le }, value: running });
  });
  out.push({ metricName: `${family.name}_sum`, labels, value: series.value });
  out.push({ metricName: `${family.name}_count`, labels, value: running });
  return out;
}
