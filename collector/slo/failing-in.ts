// Where an alerting group's bad boots come from: the AMI versions and Auto Scaling groups of its
// failed (or, for time_to_ready, slow) first boots in the correction horizon (the last 2 hours).
// Alerts carry them as the ami_version and asg labels Alertmanager routes on, also when the SLO
// does not group by them.
import { TimeToReadyBuckets } from '../../shared/conventions.js';
import type { Slo } from '../../shared/slo/model.js';
import type { RollupRow } from '../model.js';

export interface FailingIn {
  amiVersions: string[];
  asgs: string[];
}

/**
 * For each group of an SLO (keyed by `groupOf`, the group's number in the SLO's family), where its
 * bad boots among `rows` (lists of rows) come from. One pass over the rows, whatever the groups.
 */
export function failingInByGroup<K>(
  slo: Slo,
  rows: readonly (readonly RollupRow[])[],
  groupOf: (row: RollupRow) => K | undefined,
): Map<K, FailingIn> {
  const upTo = slowAbove(slo);
  const sets = new Map<K, { versions: Set<string>; asgs: Set<string> }>();
  for (const list of rows) {
    for (const row of list) {
      if (!isBad(row, upTo)) continue;
      const key = groupOf(row);
      if (key === undefined) continue;
      let entry = sets.get(key);
      if (!entry) sets.set(key, (entry = { versions: new Set(), asgs: new Set() }));
      entry.versions.add(row.amiVersion);
      if (row.asg !== '') entry.asgs.add(row.asg);
    }
  }
  const out = new Map<K, FailingIn>();
  for (const [key, e] of sets) {
    out.set(key, { amiVersions: [...e.versions].sort(), asgs: [...e.asgs].sort() });
  }
  return out;
}

/**
 * The time-to-ready bucket index above which a success is bad for `slo`: its threshold's, for a
 * time-to-ready SLO; for the others the bucket count (no success is bad).
 */
export function slowAbove(slo: Slo): number {
  return slo.sli === 'time_to_ready'
    ? (TimeToReadyBuckets as readonly number[]).indexOf(slo.thresholdSeconds ?? -1)
    : TimeToReadyBuckets.length;
}

/** A failure, or a success slower than the threshold (bucket index above `upTo`). */
function isBad(row: RollupRow, upTo: number): boolean {
  if (row.outcome !== 'success') return row.count > 0;
  return row.ttrBuckets.some((n, i) => i > upTo && n > 0);
}
