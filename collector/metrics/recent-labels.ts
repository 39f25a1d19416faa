// Which label values were active most recently, to decide at startup which ones keep their label
// on /metrics (label-folder.ts) when there are more than the cap. Asks the store for the groups
// active in widening windows: one query each, independent of how many boots are stored.
import { PromLabel } from '../../shared/conventions.js';
import type { GroupKey } from '../model.js';
import type { Store } from '../store/store.js';
import { CappedLabels, type CappedLabel, type RecentLabelValues } from './counter-series.js';

/** Windows back from now, narrowest first. */
export const RecencyWindowsMs = [3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];

const GroupField: Record<CappedLabel, keyof GroupKey> = {
  [PromLabel.amiVersion]: 'amiVersion',
  [PromLabel.amiId]: 'amiId',
  [PromLabel.region]: 'region',
  [PromLabel.asg]: 'asg',
  [PromLabel.instanceType]: 'instanceType',
};

export async function recentLabelValues(
  store: Pick<Store, 'groups'>,
  nowMs: number,
): Promise<RecentLabelValues> {
  // Sets keep insertion order: a value first seen in a narrower window stays ahead.
  const seen = new Map(CappedLabels.map((label) => [label, new Set<string>()]));
  for (const windowMs of RecencyWindowsMs) {
    for (const g of await store.groups(nowMs - windowMs)) {
      for (const label of CappedLabels) seen.get(label)?.add(g[GroupField[label]]);
    }
  }
  const out: RecentLabelValues = {};
  for (const [label, values] of seen) out[label] = [...values];
  return out;
}
