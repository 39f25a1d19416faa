// A small real store for engine tests: rollup rows and coverage held in arrays, answering
// rollups() and coverage() as the Store interface says (rows of [fromMs, toMs), minute order).
// It counts the queries, so tests can see what the engine re-reads.
import { TimeToReadyBuckets } from '../../../shared/conventions.js';
import type { Outcome, Reason } from '../../../shared/conventions.js';
import type { RollupRow } from '../../../collector/model.js';
import type { RollupQuery, Store } from '../../../collector/store/store.js';

export class FakeRollups implements Pick<Store, 'rollups' | 'coverage'> {
  rows: RollupRow[] = [];
  running = 0;
  heartbeating = 0;
  queries: RollupQuery[] = [];

  async rollups(q: RollupQuery): Promise<RollupRow[]> {
    this.queries.push(q);
    return this.rows
      .filter((r) => r.minuteMs >= q.fromMs && r.minuteMs < q.toMs)
      .sort((a, b) => a.minuteMs - b.minuteMs)
      .map((r) => ({ ...r, ttrBuckets: [...r.ttrBuckets] }));
  }

  async coverage(): Promise<{ running: number; heartbeating: number }> {
    return { running: this.running, heartbeating: this.heartbeating };
  }
}

export interface RowSpec {
  minuteMs: number;
  count: number;
  outcome?: Outcome;
  reason?: Reason;
  amiVersion?: string;
  asg?: string;
  /** Time to ready of every boot of the row, seconds (successes land in its bucket). */
  ttrSeconds?: number;
}

export function row(s: RowSpec): RollupRow {
  const outcome = s.outcome ?? 'success';
  const ttr = s.ttrSeconds ?? 45;
  const buckets = new Array<number>(TimeToReadyBuckets.length + 1).fill(0);
  const index = TimeToReadyBuckets.findIndex((b) => ttr <= b);
  buckets[index === -1 ? TimeToReadyBuckets.length : index] = s.count;
  const version = s.amiVersion ?? '1.0.0';
  return {
    minuteMs: s.minuteMs,
    amiId: `ami-${version}`,
    amiVersion: version,
    region: 'eu-west-1',
    asg: s.asg ?? 'web-asg',
    instanceType: 'm5.large',
    outcome,
    reason: s.reason ?? (outcome === 'success' ? 'none' : 'probe_timeout'),
    count: s.count,
    ttrSum: s.count * ttr,
    ttrBuckets: buckets,
  };
}
