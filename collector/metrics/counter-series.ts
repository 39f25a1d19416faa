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

interface FamilySeries {
  family: Family;
  /** Where ami_version and ami_id are among the family's labels (-1: not a label of it). */
  versionAt: number;
  amiIdAt: number;
  series: Map<string, Series>;
}

export class CounterSeries {
  private readonly byFamily = new Map<string, FamilySeries>();
  private readonly versions: LabelFolder;
  private readonly amiIds: LabelFolder;

  constructor(labelCap: number) {
    // DESIGN.md: unknown or excess AMI versions fold into `other`.
    this.versions = new LabelFolder(labelCap, new Set([UnknownVersion]));
    this.amiIds = new LabelFolder(labelCap);
    for (const family of Families) {
      this.byFamily.set(family.name, {
        family,
        versionAt: family.labels.indexOf(PromLabel.amiVersion),
        amiIdAt: family.labels.indexOf(PromLabel.amiId),
        series: new Map(),
      });
    }
  }

  /**
   * Loads persisted absolute values (loadCounters returns them as deltas from zero). The label
   * values given most recent first keep their names; the rest of those in `counters` fold.
   */
  seed(counters: readonly CounterDelta[], recent: { versions: string[]; amiIds: string[] }): void {
    const versions: string[] = [];
    const amiIds: string[] = [];
    for (const c of counters) {
      const f = this.byFamily.get(c.family);
      if (f === undefined) continue;
      if (f.versionAt >= 0) versions.push(c.labels[f.versionAt] ?? '');
      if (f.amiIdAt >= 0) amiIds.push(c.labels[f.amiIdAt] ?? '');
    }
    this.versions.seed([...recent.versions, ...versions.sort()]);
    this.amiIds.seed([...recent.amiIds, ...amiIds.sort()]);
    for (const c of counters) this.add(c);
  }

  /** Adds committed increments. Counters never go down: a negative delta is ignored. */
  apply(deltas: readonly CounterDelta[]): void {
    for (const d of deltas) {
      const f = this.byFamily.get(d.family);
      if (f === undefined) continue;
      if (f.versionAt >= 0) this.versions.touch(d.labels[f.versionAt] ?? '');
      if (f.amiIdAt >= 0) this.amiIds.touch(d.labels[f.amiIdAt] ?? '');
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
    let versionFolded = false;
    if (f.versionAt >= 0) {
      const version = this.versions.fold(values[f.versionAt] ?? '');
      out[f.versionAt] = version;
      versionFolded = version === OtherLabelValue;
    }
    // An AMI id of a folded version folds too: the pair would otherwise still be unbounded.
    if (f.amiIdAt >= 0) {
      out[f.amiIdAt] = versionFolded ? OtherLabelValue : this.amiIds.fold(values[f.amiIdAt] ?? '');
    }
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
