// How counter totals are kept on disk. A first boot's series deltas hold every cumulative bucket
// of two histograms (about 130 series with all phases); writing each would make counters most of
// the cost of a report. So a histogram is stored as non-cumulative bucket counts (one row for the
// bucket an observation falls in) plus its `_sum`; `_count` and the cumulative buckets are rebuilt
// when loading. fromStoredCounters(toStoredCounters(c)) equals
// mergeCounterDeltas(expandChanges(c)) (test/collector/store/store-core.test.ts).
import {
  cmp,
  HistogramBounds,
  InfLe,
  labelsKey,
  mergeCounterDeltas,
  type CounterChange,
} from './counter-deltas.js';
import { bucketIndex } from './rollup-math.js';
import type { CounterDelta } from './store.js';

export interface StoredCounter {
  name: string;
  /** labelsKey(labels): canonical JSON. */
  labels: string;
  value: number;
}

function leOf(index: number, bounds: readonly number[]): string {
  return index === bounds.length ? InfLe : String(bounds[index]);
}

/**
 * The rows to add to the stored totals, merged and sorted by name then labels: one order for
 * every writer, so that PostgreSQL transactions lock counter rows alike. A histogram's `_sum` row
 * is kept even at 0, so that observations of 0 s still make the series exist.
 */
export function toStoredCounters(changes: CounterChange[]): StoredCounter[] {
  const rows = new Map<string, StoredCounter>();
  const add = (name: string, labels: string, value: number) => {
    const id = `${name}\u0000${labels}`;
    const row = rows.get(id);
    if (row === undefined) rows.set(id, { name, labels, value });
    else row.value += value;
  };
  for (const c of changes) {
    if (c.kind === 'inc') {
      if (c.delta !== 0) add(c.name, labelsKey(c.labels), c.delta);
      continue;
    }
    const bounds = HistogramBounds[c.histogram] ?? [];
    const le = leOf(bucketIndex(c.value, bounds), bounds);
    add(`${c.histogram}_bucket`, labelsKey({ ...c.labels, le }), 1);
    add(`${c.histogram}_sum`, labelsKey(c.labels), c.value);
  }
  return [...rows.values()].sort((a, b) => cmp(a.name, b.name) || cmp(a.labels, b.labels));
}

/** The histogram a `_bucket` series belongs to, if it is one of ours. */
function bucketOf(name: string): string | null {
  if (!name.endsWith('_bucket')) return null;
  const base = name.slice(0, -'_bucket'.length);
  return HistogramBounds[base] === undefined ? null : base;
}

/** Stored totals back to every series /metrics exports, cumulative buckets and `_count` included. */
export function fromStoredCounters(rows: StoredCounter[]): CounterDelta[] {
  const out: CounterDelta[] = [];
  const histograms = new Map<
    string,
    { base: string; labels: Record<string, string>; own: number[] }
  >();
  for (const r of rows) {
    const labels = JSON.parse(r.labels) as Record<string, string>;
    const base = bucketOf(r.name);
    if (base === null) {
      out.push({ name: r.name, labels, delta: r.value });
      continue;
    }
    const bounds = HistogramBounds[base] ?? [];
    const { le, ...rest } = labels;
    const id = `${base}\u0000${labelsKey(rest)}`;
    const h = histograms.get(id) ?? {
      base,
      labels: rest,
      own: new Array<number>(bounds.length + 1).fill(0),
    };
    // An `le` no longer among the bounds counts in the first bucket that holds it.
    const i = le === undefined || le === InfLe ? bounds.length : bucketIndex(Number(le), bounds);
    h.own[i] = (h.own[i] ?? 0) + r.value;
    histograms.set(id, h);
  }
  for (const h of histograms.values()) {
    const bounds = HistogramBounds[h.base] ?? [];
    let running = 0;
    h.own.forEach((n, i) => {
      running += n;
      out.push({
        name: `${h.base}_bucket`,
        labels: { ...h.labels, le: leOf(i, bounds) },
        delta: running,
      });
    });
    out.push({ name: `${h.base}_count`, labels: h.labels, delta: running });
  }
  return mergeCounterDeltas(out);
}
