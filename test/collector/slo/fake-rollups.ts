// A small real store for engine tests: rollup rows and coverage held in arrays, answering
// rollups(), coverage() and rollupFeed() as the Store interface says (rows of [fromMs, toMs),
// minute order). Tests change `rows` freely; a feed reader sees each change as the boots that
// entered or left each row since its previous read (a boot per bucket count, its time to ready
// the bucket's bound), which is what the real feed records. It counts the ranges read, so tests
// can see what the engine reads.
import { TimeToReadyBuckets } from '../../../shared/conventions.js';
import type { Outcome, Reason } from '../../../shared/conventions.js';
import type { RollupRow } from '../../../collector/model.js';
import { rollupKeyString, type RollupChange } from '../../../collector/store/rollup-math.js';
import type { FeedRead, RollupFeed, RollupQuery, Store } from '../../../collector/store/store.js';

type Held = Pick<Store, 'rollups' | 'badRollups' | 'coverage' | 'rollupFeed' | 'changesWritten'>;

export class FakeRollups implements Held {
  rows: RollupRow[] = [];
  running = 0;
  heartbeating = 0;
  queries: RollupQuery[] = [];
  readonly changesWritten = 0;
  /** Set to make the next feed read fail (a store that does not answer). */
  failNextRead = false;

  async rollups(q: RollupQuery): Promise<RollupRow[]> {
    return this.rows
      .filter((r) => r.minuteMs >= q.fromMs && r.minuteMs < q.toMs)
      .sort((a, b) => a.minuteMs - b.minuteMs)
      .map((r) => ({ ...r, ttrBuckets: [...r.ttrBuckets] }));
  }

  async badRollups(q: RollupQuery, slowAbove: number): Promise<RollupRow[]> {
    return (await this.rollups(q)).filter((r) =>
      r.outcome !== 'success' ? r.count > 0 : r.ttrBuckets.some((n, i) => i > slowAbove && n > 0),
    );
  }

  rollupFeed(): RollupFeed {
    // What this reader saw of each row at its previous read (rows are changed in place).
    const seen = new WeakMap<RollupRow, RollupRow>();
    let first = true;
    return {
      read: async (ranges): Promise<FeedRead> => {
        if (this.failNextRead) {
          this.failNextRead = false;
          throw new Error('store read failed');
        }
        const changes: RollupChange[] = [];
        for (const r of this.rows) {
          const before = seen.get(r);
          if (before && same(before, r)) continue;
          if (!first) changes.push(...boots(before, -1), ...boots(r, 1));
          seen.set(r, { ...r, ttrBuckets: [...r.ttrBuckets] });
        }
        first = false;
        const rows: RollupRow[] = [];
        for (const q of ranges) {
          this.queries.push(q);
          rows.push(...(await this.rollups(q)));
        }
        return { lost: false, rows, changes };
      },
    };
  }

  async coverage(): Promise<{ running: number; heartbeating: number }> {
    return { running: this.running, heartbeating: this.heartbeating };
  }
}

function same(a: RollupRow, b: RollupRow): boolean {
  if (a.minuteMs !== b.minuteMs || a.outcome !== b.outcome || a.reason !== b.reason) return false;
  if (rollupKeyString(a) !== rollupKeyString(b)) return false;
  return a.ttrBuckets.every((n, i) => n === b.ttrBuckets[i]);
}

/** A row's boots leaving (-1) or entering (+1) it: one change per boot. */
function boots(row: RollupRow | undefined, sign: 1 | -1): RollupChange[] {
  const out: RollupChange[] = [];
  row?.ttrBuckets.forEach((n, b) => {
    const ttrSeconds = TimeToReadyBuckets[b] ?? 3600;
    for (let k = 0; k < n; k += 1) out.push({ key: { ...row }, sign, ttrSeconds, atMs: 0 });
  });
  return out;
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
