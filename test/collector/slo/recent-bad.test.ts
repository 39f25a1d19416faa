// The recent bad rows kept between evaluations: after any sequence of writes, each named by the
// minutes it changed, the rows equal a whole read of the range, while each evaluation reads only
// the minutes changed and gained.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RollupRow } from '../../../collector/model.js';
import { MinuteMs } from '../../../collector/slo/family.js';
import { RecentBad } from '../../../collector/slo/recent-bad.js';
import type { RollupQuery } from '../../../collector/store/store.js';

function row(minute: number, version: string, count: number): RollupRow {
  return {
    minuteMs: minute * MinuteMs,
    amiId: 'ami-0',
    amiVersion: version,
    region: 'eu-west-1',
    asg: 'web',
    instanceType: 't3.micro',
    outcome: 'failure',
    reason: 'cloud_init_error',
    count,
    ttrSum: 0,
    ttrBuckets: new Array<number>(17).fill(0),
  };
}

class Table {
  rows = new Map<string, RollupRow>();
  reads: RollupQuery[] = [];
  read = async (q: RollupQuery): Promise<RollupRow[]> => {
    this.reads.push(q);
    return [...this.rows.values()]
      .filter((r) => r.minuteMs >= q.fromMs && r.minuteMs < q.toMs)
      .map((r) => ({ ...r }));
  };
  write(minute: number, version: string, count: number): void {
    const key = `${minute}|${version}`;
    if (count === 0) this.rows.delete(key);
    else this.rows.set(key, row(minute, version, count));
  }
}

const sorted = (rows: RollupRow[]) =>
  rows.map((r) => `${r.minuteMs / MinuteMs}|${r.amiVersion}|${r.count}`).sort();

describe('recent bad rows', () => {
  it('reads the changed and the new minutes only', async () => {
    const t = new Table();
    const recent = new RecentBad(t.read);
    t.write(100, '1.0', 2);
    t.write(150, '1.0', 1);
    expect(sorted(await recent.rows(91, 210, null))).toEqual(['100|1.0|2', '150|1.0|1']);
    expect(t.reads).toHaveLength(1);
    t.reads = [];
    t.write(150, '1.0', 3);
    t.write(211, '2.0', 1);
    expect(sorted(await recent.rows(92, 211, new Set([150, 211])))).toEqual([
      '100|1.0|2',
      '150|1.0|3',
      '211|2.0|1',
    ]);
    expect(t.reads.map((q) => [q.fromMs / MinuteMs, q.toMs / MinuteMs])).toEqual([
      [150, 151],
      [211, 212],
    ]);
    // Minutes that left the range are dropped without a read.
    t.reads = [];
    expect(sorted(await recent.rows(101, 211, new Set()))).toEqual(['150|1.0|3', '211|2.0|1']);
    expect(t.reads).toEqual([]);
  });

  it('equals a whole read after any writes, each named by its minute', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            advance: fc.integer({ min: 0, max: 30 }),
            writes: fc.array(
              fc.record({
                back: fc.integer({ min: 0, max: 150 }),
                version: fc.constantFrom('1.0', '2.0'),
                count: fc.integer({ min: 0, max: 3 }),
              }),
              { maxLength: 5 },
            ),
            forget: fc.boolean(),
          }),
          { maxLength: 20 },
        ),
        async (steps) => {
          const t = new Table();
          const recent = new RecentBad(t.read);
          let now = 1000;
          let changed: Set<number> | null = null;
          for (const step of steps) {
            now += step.advance;
            for (const w of step.writes) {
              t.write(now - w.back, w.version, w.count);
              changed?.add(now - w.back);
            }
            if (step.forget) recent.forget();
            const got = await recent.rows(now - 119, now, changed);
            const whole = await t.read({
              fromMs: (now - 119) * MinuteMs,
              toMs: (now + 1) * MinuteMs,
            });
            expect(sorted(got)).toEqual(sorted(whole));
            changed = new Set();
          }
        },
      ),
      { seed: 20261203, numRuns: 200 },
    );
  });
});
