// The in-memory mirror of this replica's persisted counters: one entry per stored series (exact
// label values, as the store keeps them), a counter's value or a histogram's bucket counts and
// sum. Seeded at startup from store.loadCounters() and moved by the CounterDelta[] each committed
// write returns, so /metrics continues where the last process stopped and Prometheus rate() sees
// no reset. Applying a delta is one map lookup and a few additions; folding labels (label-folder.ts)
// is done once per series (again only after a value was folded), and the cumulative `le` series
// are made only when /metrics is scraped.
//
// First samples. Prometheus' increase() cannot count the first sample of a series: a series that
// appears already at 1 adds nothing to any window, so the first boot of every new label
// combination (an AMI version, Auto Scaling group, instance type or reason not seen before) would
// be lost to the rules, and at sparse traffic that is most boots. So an exported series (labels
// folded) that Prometheus has not been shown yet is shown at the value it started from, 0 for a
// new series (or what a folded version brings into a new `other`: boots already counted under
// their own name), and the increments it gets meanwhile are held until every scraper has been
// shown it (scrapers.ts); the scrape after that shows them. The first boot of a new series thus
// reaches Prometheus one scrape interval late (the slowest scraper's, with several), and every
// later boot of that series at once. Readers that are not Prometheus (curl, the tests) are shown
// everything at once. Series seeded from the store at startup are not new: Prometheus saw them
// from the process before. Not covered: a value that folds (label-folder.ts) into an `other` not
// shown yet brings its whole count along, a boot written since the last scrape included; that
// takes more than `cap` distinct values written within one scrape interval.
//
// Example, one Prometheus scraping every 15 s: a boot of the new version 1.4 at 10:00:02; the
// scrape at 10:00:05 shows boots_total{ami_version="1.4",...} 0, the one at 10:00:20 shows 1, and
// increase() over any window holding both samples counts the boot.

import { OtherLabelValue, PromLabel, UnknownVersion } from '../../shared/conventions.js';
import { seriesKey } from '../store/series-key.js';
import type { CounterDelta } from '../store/store.js';
import { Families, type Family } from './families.js';
import { LabelFolder } from './label-folder.js';
import { Scrapers } from './scrapers.js';

export interface ExportedValue {
  metricName: string;
  labels: Record<string, string>;
  value: number;
}

/** A counter's value or a histogram's sum, and a histogram's observations per bucket. */
interface Amounts {
  value: number;
  /** Not cumulative, +Inf last; empty for a counter. */
  buckets: number[];
}

/** One stored series. Its amounts are those shown to every reader. */
interface Series extends Amounts {
  labels: readonly string[];
  /** Increments not shown to scrapers yet (its exported series is new to one of them). */
  held: Amounts | null;
  /** The exported series it folds into, as of `foldEpoch`. */
  exported: Exported;
  foldEpoch: number;
}

/** One exported series: the folded labels, and whether scrapers have been shown it. */
interface Exported {
  labels: string[];
  /** The first scrape that showed it; 0 for a series seeded at startup; null: not shown yet. */
  firstShown: number | null;
  /** Every scraper has been shown it (stays true). */
  seen: boolean;
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
  /** By the key of the folded labels. */
  exported: Map<string, Exported>;
  /** The series with held increments. */
  held: Set<Series>;
}

export class CounterSeries {
  private readonly byFamily = new Map<string, FamilySeries>();
  private readonly folders: Record<CappedLabel, LabelFolder>;
  private readonly scrapers = new Scrapers();

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
      this.byFamily.set(family.name, {
        family,
        at,
        series: new Map(),
        exported: new Map(),
        held: new Set(),
      });
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
    for (const c of counters) this.add(c, true);
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
      this.add(d, false);
    }
  }

  /**
   * A Prometheus scrape by `scraper` (scrapers.ts) starts: the held increments of every series
   * that all scrapers have been shown are let through. Returns the scrape's number, for
   * exported() and scraped().
   */
  beginScrape(scraper: string, nowMs: number): number {
    const scrape = this.scrapers.begin(scraper, nowMs);
    for (const f of this.byFamily.values()) {
      for (const s of f.held) {
        if (s.held === null || !this.seenByAll(this.exportedOf(f, s))) continue;
        addAmounts(s, s.held);
        s.held = null;
        f.held.delete(s);
      }
    }
    return scrape;
  }

  /** The scrape was answered (one that failed showed nothing to anyone). */
  scraped(scraper: string, scrape: number): void {
    this.scrapers.served(scraper, scrape);
  }

  /**
   * The exported (folded, summed) values of one family, histograms with every bucket. For a
   * scrape (its number from beginScrape), without the held increments; otherwise with them.
   */
  exported(family: Family, scrape?: number): ExportedValue[] {
    const f = this.byFamily.get(family.name);
    if (f === undefined) return [];
    const sums = new Map<Exported, Amounts>();
    const width = family.type === 'histogram' ? family.bounds.length + 1 : 0;
    for (const s of f.series.values()) {
      const e = this.exportedOf(f, s);
      let sum = sums.get(e);
      if (sum === undefined) {
        sum = { value: 0, buckets: new Array<number>(width).fill(0) };
        sums.set(e, sum);
      }
      addAmounts(sum, s);
      if (scrape === undefined && s.held !== null) addAmounts(sum, s.held);
    }
    const out: ExportedValue[] = [];
    for (const [e, sum] of sums) {
      if (scrape !== undefined) e.firstShown ??= scrape;
      const labels: Record<string, string> = {};
      family.labels.forEach((name, i) => (labels[name] = e.labels[i] ?? ''));
      if (family.type === 'counter')
        out.push({ metricName: family.name, labels, value: sum.value });
      else out.push(...histogramValues(family, labels, sum));
    }
    return out;
  }

  private add(d: CounterDelta, seeded: boolean): void {
    const f = this.byFamily.get(d.family);
    if (f === undefined || !acceptable(d)) return;
    const s = this.seriesOf(f, d);
    const e = this.exportedOf(f, s);
    // Shown before this process started (scrape 0 precedes every scrape of this one).
    if (seeded) e.firstShown ??= 0;
    if (s.held === null && this.seenByAll(e)) {
      addDelta(s, d);
      return;
    }
    s.held ??= { value: 0, buckets: new Array<number>(s.buckets.length).fill(0) };
    addDelta(s.held, d);
    f.held.add(s);
  }

  private seriesOf(f: FamilySeries, d: CounterDelta): Series {
    let s = f.series.get(d.key);
    if (s === undefined) {
      const width = f.family.type === 'histogram' ? f.family.bounds.length + 1 : 0;
      s = {
        labels: d.labels,
        value: 0,
        buckets: new Array<number>(width).fill(0),
        held: null,
        exported: this.exportedFor(f, d.labels),
        foldEpoch: this.foldEpoch(),
      };
      f.series.set(d.key, s);
    }
    return s;
  }

  /** The exported series `s` folds into now (folds change only when a value is folded). */
  private exportedOf(f: FamilySeries, s: Series): Exported {
    const epoch = this.foldEpoch();
    if (s.foldEpoch !== epoch) {
      s.exported = this.exportedFor(f, s.labels);
      s.foldEpoch = epoch;
    }
    return s.exported;
  }

  private exportedFor(f: FamilySeries, values: readonly string[]): Exported {
    const labels = this.fold(f, values);
    const key = seriesKey(labels);
    let e = f.exported.get(key);
    if (e === undefined) {
      e = { labels, firstShown: null, seen: false };
      f.exported.set(key, e);
    }
    return e;
  }

  private seenByAll(e: Exported): boolean {
    if (!e.seen && e.firstShown !== null) e.seen = this.scrapers.allServedSince(e.firstShown);
    return e.seen;
  }

  private foldEpoch(): number {
    let n = 0;
    for (const label of CappedLabels) n += this.folders[label].evictions;
    return n;
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

function addAmounts(into: Amounts, from: { value: number; buckets: readonly number[] }): void {
  into.value += from.value;
  for (let i = 0; i < into.buckets.length; i++)
    into.buckets[i] = (into.buckets[i] ?? 0) + (from.buckets[i] ?? 0);
}

function addDelta(into: Amounts, d: CounterDelta): void {
  if (d.kind === 'counter') into.value += d.value;
  else addAmounts(into, { value: d.sum, buckets: d.buckets });
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
  series: Amounts,
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
