// Which AMI versions and ids were active most recently, to decide at startup which ones keep their
// label on /metrics (label-folder.ts) when there are more than label_cap. Asks the store for the
// groups active in widening windows: one query each, independent of how many boots are stored.
import type { Store } from '../store/store.js';

/** Windows back from now, narrowest first. */
export const RecencyWindowsMs = [3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];

export async function recentLabelValues(
  store: Pick<Store, 'groups'>,
  nowMs: number,
): Promise<{ versions: string[]; amiIds: string[] }> {
  // Sets keep insertion order: a value first seen in a narrower window stays ahead.
  const versions = new Set<string>();
  const amiIds = new Set<string>();
  for (const windowMs of RecencyWindowsMs) {
    for (const g of await store.groups(nowMs - windowMs)) {
      versions.add(g.amiVersion);
      amiIds.add(g.amiId);
    }
  }
  return { versions: [...versions], amiIds: [...amiIds] };
}
