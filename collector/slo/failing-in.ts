// Where an alerting group's bad boots come from: the AMI versions and Auto Scaling groups of its
// failed (or, for time_to_ready, slow) first boots in the correction horizon (the last 2 hours).
// Alerts carry them as the ami_version and asg labels Alertmanager routes on, also when the SLO
// does not group by them.
import { TimeToReadyBuckets } from '../../shared/conventions.js';
import type { Slo } from '../../shared/slo/model.js';
import type { RollupRow } from '../model.js';
import { projectLabels } from './family.js';

export interface FailingIn {
  amiVersions: string[];
  asgs: string[];
}

/**
 * For each group of an SLO (keyed by the JSON of its label values, as families key them), where
 * its bad boots among `rows` come from. One pass over the rows, whatever the number of groups.
 */
export function failingInByGroup(slo: Slo, rows: readonly RollupRow[]): Map<string, FailingIn> {
  const upTo =
    slo.sli === 'time_to_ready'
      ? (TimeToReadyBuckets as readonly number[]).indexOf(slo.thresholdSeconds ?? -1)
      : Infinity;
  const sets = new Map<string, { versions: Set<string>; asgs: Set<string> }>();
  for (const row of rows) {
    if (!isBad(row, upTo)) continue;
    const key = JSON.stringify(Object.values(projectLabels(row, slo.groupBy)));
    let entry = sets.get(key);
    if (!entry) sets.set(key, (entry = { versions: new Set(), asgs: new Set() }));
    entry.versions.add(row.amiVersion);
    if (row.asg !== '') entry.asgs.add(row.asg);
  }
  const out = new Map<string, FailingIn>();
  for (const [key, e] of sets) {
    out.set(key, { amiVersions: [...e.versions].sort(), asgs: [...e.asgs].sort() });
  }
  return out;
}

/** A failure, or a success slower than the threshold (bucket index above `upTo`). */
function isBad(row: RollupRow, upTo: number): boolean {
  if (row.outcome !== 'success') return row.count > 0;
  return row.ttrBuckets.some((n, i) => i > upTo && n > 0);
}
