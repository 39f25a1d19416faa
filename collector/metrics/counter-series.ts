// The in-memory mirror of this replica's persisted counters: one value per raw series (exact
// labels, as the store keeps them), exported folded (label-folder.ts). Seeded at startup from
// store.loadCounters() and moved by the CounterDelta[] each committed write returns, so /metrics
// continues where the last process stopped and Prometheus rate() sees no reset.
import { OtherLabelValue, PromLabel, UnknownVersion } from '../../shared/conventions.js';
import type { CounterDelta } from '../store/store.js';
import { familyOf, type Family } from './families.js';
import { LabelFolder } from './label-folder.js';

export interface ExportedValue {
  metricName: string;
  labels: Record<string, string>;
  value: number;
}

interface RawSeries {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class CounterSeries {
  private readonly raw = new Map<string, RawSeries>();
  private readonly versions: LabelFolder;
  private readonly amiIds: LabelFolder;

  constructor(labelCap: number) {
    // DESIGN.md: unknown or excess AMI versions fold into `other`.
    this.versions = new LabelFolder(labelCap, new Set([UnknownVersion]));
    this.amiIds = new LabelFolder(labelCap);
  }

  /**
   * Loads persisted absolute values (loadCounters returns them as deltas from zero). The label
   * values given most recent first keep their names; the rest of those in `counters` fold.
   */
  seed(counters: readonly CounterDelta[], recent: { versions: string[]; amiIds: string[] }): void {
    const seen = (label: string) => counters.map((c) => c.labels[label] ?? '').sort();
    this.versions.seed([...recent.versions, ...seen(PromLabel.amiVersion)]);
    this.amiIds.seed([...recent.amiIds, ...seen(PromLabel.amiId)]);
    for (const c of counters) this.add(c);
  }

  /** Adds committed increments. Counters never go down: non-positive deltas are ignored. */
  apply(deltas: readonly CounterDelta[]): void {
    for (const d of deltas) {
      const version = d.labels[PromLabel.amiVersion];
      const amiId = d.labels[PromLabel.amiId];
      if (version !== undefined) this.versions.touch(version);
      if (amiId !== undefined) this.amiIds.touch(amiId);
      this.add(d);
    }
  }

  /** The families present, in the order Families lists them (unknown names after). */
  families(): Family[] {
    const found = new Map<string, Family>();
    for (const s of this.raw.values()) {
      const { family } = familyOf(s.name);
      found.set(family.name, family);
    }
    return [...found.values()];
  }

  /** The exported (folded, summed) values of one family, histograms with every bucket. */
  exported(family: Family): ExportedValue[] {
    const groups = new Map<string, { labels: Record<string, string>; parts: RawSeries[] }>();
    for (const s of this.raw.values()) {
      if (familyOf(s.name).family.name !== family.name) continue;
      const labels = this.foldLabels(s.labels);
      const { le: _le, ...groupLabels } = labels;
      const key = labelKey(groupLabels);
      const group = groups.get(key) ?? { labels: groupLabels, parts: [] };
      group.parts.push({ name: s.name, labels, value: s.value });
      groups.set(key, group);
    }
    const out: ExportedValue[] = [];
    for (const { labels, parts } of groups.values()) {
      if (family.type === 'counter') {
        out.push({ metricName: family.name, labels, value: sum(parts) });
      } else {
        out.push(...histogramValues(family, labels, parts));
      }
    }
    return out;
  }

  private add(d: CounterDelta): void {
    if (!(d.delta > 0) || !Number.isFinite(d.delta)) return;
    const key = `${d.name}${labelKey(d.labels)}`;
    const s = this.raw.get(key);
    if (s) s.value += d.delta;
    else this.raw.set(key, { name: d.name, labels: { ...d.labels }, value: d.delta });
  }

  private foldLabels(labels: Record<string, string>): Record<string, string> {
    const out = { ...labels };
    const version = labels[PromLabel.amiVersion];
    const amiId = labels[PromLabel.amiId];
    const versionFolded = version !== undefined && this.versions.fold(version) === OtherLabelValue;
    if (version !== undefined) out[PromLabel.amiVersion] = this.versions.fold(version);
    // An AMI id of a folded version folds too: the pair would otherwise still be unbounded.
    if (amiId !== undefined) {
      out[PromLabel.amiId] = versionFolded ? OtherLabelValue : this.amiIds.fold(amiId);
    }
    return out;
  }
}

/**
 * Buckets are cumulative, as Prometheus has them: `le="30"` counts every observation <= 30 s.
 * A bound no delta named yet carries the value of the bound below it (0 below the first), so
 * every label set exports the full, monotonic bucket list ending in +Inf = _count.
 */
function histogramValues(
  family: Family,
  labels: Record<string, string>,
  parts: RawSeries[],
): ExportedValue[] {
  const buckets = new Map<number, number>();
  let total = 0;
  let count = 0;
  for (const p of parts) {
    if (p.name.endsWith('_sum')) total += p.value;
    else if (p.name.endsWith('_count')) count += p.value;
    else {
      const le = p.labels.le === '+Inf' ? Infinity : Number(p.labels.le);
      if (!Number.isNaN(le)) buckets.set(le, (buckets.get(le) ?? 0) + p.value);
    }
  }
  const bounds = [...new Set([...(family.buckets ?? []), ...buckets.keys()])]
    .filter((b) => Number.isFinite(b))
    .sort((a, b) => a - b);
  const out: ExportedValue[] = [];
  let running = 0;
  for (const bound of bounds) {
    running = Math.max(running, buckets.get(bound) ?? 0);
    out.push({
      metricName: `${family.name}_bucket`,
      labels: { ...labels, le: String(bound) },
      value: running,
    });
  }
  const inf = Math.max(running, buckets.get(Infinity) ?? 0, count);
  out.push({ metricName: `${family.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: inf });
  out.push({ metricName: `${family.name}_sum`, labels, value: total });
  out.push({ metricName: `${family.name}_count`, labels, value: Math.max(count, inf) });
  return out;
}

function sum(parts: RawSeries[]): number {
  return parts.reduce((acc, p) => acc + p.value, 0);
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
