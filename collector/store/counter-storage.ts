// How counter totals are kept on disk: one row per (replica, family, label set), keyed by the
// series key (series-key.ts), holding a counter's value, or a histogram's sum and its
// non-cumulative bucket counts in b0..b16. A boot then writes one row per series it moves (about
// eight), each an additive upsert that needs no read.
import { BootwatchError } from '../../shared/errors.js';
import {
  bucketCount,
  counterFamily,
  CounterBucketCount,
  type CounterFamily,
} from './counter-families.js';
import { cmp } from './counter-deltas.js';
import type { Row } from './rows.js';
import { seriesValues } from './series-key.js';
import type { CounterDelta } from './store.js';

export const CounterBucketColumns = Array.from({ length: CounterBucketCount }, (_, i) => `b${i}`);

/** The columns counterValues() fills, in order. */
export const CounterColumns = ['replica_id', 'family', 'labels', 'value', ...CounterBucketColumns];

const zeros: readonly number[] = new Array<number>(CounterBucketCount).fill(0);

/** A counter's value or a histogram's sum. */
export function valueOf(d: CounterDelta): number {
  return d.kind === 'counter' ? d.value : d.sum;
}

/** The bucket columns of a delta, padded with zeros to CounterBucketCount. */
export function bucketsOf(d: CounterDelta): readonly number[] {
  if (d.kind === 'counter') return zeros;
  if (d.buckets.length === CounterBucketCount) return d.buckets;
  return zeros.map((z, i) => d.buckets[i] ?? z);
}

/** The row a delta adds to its stored totals, in CounterColumns order. */
export function counterValues(replicaId: string, d: CounterDelta): (string | number)[] {
  return [replicaId, d.family, d.key, valueOf(d), ...bucketsOf(d)];
}

function malformed(family: CounterFamily, key: string): BootwatchError {
  return new BootwatchError(
    'BW_STORE_OPEN',
    `a stored ${family.name} row has the label key ${JSON.stringify(key)}, which does not ` +
      `split into its ${family.labels.length} labels; the counters table was changed by hand`,
  );
}

/**
 * Stored totals back as deltas from zero, sorted like mergeCounterDeltas. A row of a family this
 * version does not keep (written by a newer one) is left out: it cannot be exported.
 */
export function loadedCounters(rows: readonly Row[]): CounterDelta[] {
  const out: CounterDelta[] = [];
  for (const r of rows) {
    const family = counterFamily(String(r.family));
    if (family === undefined) continue;
    const key = String(r.labels);
    const labels = seriesValues(key, family.labels.length);
    if (labels === null) throw malformed(family, key);
    const value = Number(r.value);
    if (family.type === 'counter') {
      out.push({ kind: 'counter', family: family.name, labels, key, value });
      continue;
    }
    const buckets = Array.from({ length: bucketCount(family) }, (_, i) => Number(r[`b${i}`]));
    out.push({ kind: 'histogram', family: family.name, labels, key, buckets, sum: value });
  }
  return out.sort((a, b) => cmp(a.family, b.family) || cmp(a.key, b.key));
}
