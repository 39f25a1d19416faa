// The pure core under both engines: bucket math, counter encoding, launch merging, cursors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PromMetric, TimeToReadyBuckets } from '../../../shared/conventions.js';
import { CounterFamilies } from '../../../collector/store/counter-families.js';
import {
  increment,
  mergeCounterDeltas,
  observation,
} from '../../../collector/store/counter-deltas.js';
import {
  counterValues,
  CounterColumns,
  loadedCounters,
} from '../../../collector/store/counter-storage.js';
import { decodeCursor, encodeCursor } from '../../../collector/store/cursor.js';
import { mergeEvents } from '../../../collector/store/launch-merge.js';
import { bucketIndex } from '../../../collector/store/rollup-math.js';
import { seriesKey, seriesValues } from '../../../collector/store/series-key.js';
import { instanceEvent, T0 } from '../../support/stores.js';

describe('bucketIndex', () => {
  it('puts a value in the first bucket whose bound it does not exceed (le is inclusive)', () => {
    expect([5, 5.001, 10, 1800, 1800.1, 0].map((v) => bucketIndex(v, TimeToReadyBuckets))).toEqual([
      0, 1, 1, 15, 16, 0,
    ]);
  });
});

describe('observation', () => {
  it('is one count in the bucket that holds the value, and the value as the sum', () => {
    const d = observation(CounterFamilies.timeToReady, ['1.0', 'r', '', 'success'], 42);
    expect(d).toMatchObject({ kind: 'histogram', family: PromMetric.timeToReadySeconds, sum: 42 });
    if (d.kind !== 'histogram') throw new Error('not a histogram');
    expect(d.buckets).toHaveLength(TimeToReadyBuckets.length + 1);
    expect(d.buckets.indexOf(1)).toBe(TimeToReadyBuckets.indexOf(45));
    expect(d.buckets.reduce((a, b) => a + b, 0)).toBe(1);
    const beyond = observation(CounterFamilies.timeToReady, ['1.0', 'r', '', 'success'], 5000);
    expect(beyond.kind === 'histogram' && beyond.buckets.at(-1)).toBe(1);
  });
});

describe('seriesKey', () => {
  const value = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.constantFrom('', '\\', '\u001f', '\\_', 'a\u001fb', '\\\u001f'),
  );

  it('splits back into exactly the values it was made of', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 7 }), (values) => {
        expect(seriesValues(seriesKey(values), values.length)).toEqual(values);
      }),
    );
  });

  it('never gives two label sets the same key', () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 2, maxLength: 2 }),
        fc.array(value, { minLength: 2, maxLength: 2 }),
        (a, b) => {
          expect(seriesKey(a) === seriesKey(b)).toBe(a[0] === b[0] && a[1] === b[1]);
        },
      ),
    );
  });

  it("refuses a key that does not split into the family's labels", () => {
    expect(seriesValues(seriesKey(['a', 'b']), 3)).toBeNull();
  });
});

describe('counter storage', () => {
  const delta = fc.oneof(
    fc
      .record({
        version: fc.constantFrom('1.0', '2.0', 'a\u001f\\'),
        value: fc.oneof(
          fc.constantFrom(0, 5, 120, 1800, 5000),
          fc.double({ min: 0, max: 4000, noNaN: true }),
        ),
      })
      .map((o) =>
        observation(CounterFamilies.timeToReady, [o.version, 'r', '', 'success'], o.value),
      ),
    fc
      .record({
        version: fc.constantFrom('1.0', '2.0'),
        value: fc.double({ min: 0, max: 900, noNaN: true }),
      })
      .map((o) => observation(CounterFamilies.phase, [o.version, 'kernel'], o.value)),
    fc
      .constantFrom('none', 'unit_failed')
      .map((reason) =>
        increment(CounterFamilies.bootsTotal, ['ami-1', '1.0', 'r', '', 't', 'success', reason], 1),
      ),
  );

  it('loads back, from one row per series, the sums of the deltas written', () => {
    fc.assert(
      fc.property(fc.array(delta, { maxLength: 40 }), (deltas) => {
        const merged = mergeCounterDeltas(deltas);
        const rows = merged.map((d) =>
          Object.fromEntries(CounterColumns.map((c, i) => [c, counterValues('r1', d)[i]])),
        );
        expect(loadedCounters(rows)).toEqual(merged);
        expect(rows).toHaveLength(new Set(deltas.map((d) => `${d.family} ${d.key}`)).size);
      }),
    );
  });

  it('sums the deltas of one series: counts per bucket, sums, counter values', () => {
    const labels = ['1.0', 'r', '', 'success'];
    const [merged, ...rest] = mergeCounterDeltas([
      observation(CounterFamilies.timeToReady, labels, 3),
      observation(CounterFamilies.timeToReady, labels, 4),
      observation(CounterFamilies.timeToReady, labels, 700),
    ]);
    expect(rest).toEqual([]);
    expect(merged).toMatchObject({
      sum: 707,
      buckets: [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0],
    });
  });
});

describe('mergeEvents', () => {
  const kinds = ['launched', 'running', 'terminated', 'launch_failed', 'other'] as const;
  const event = fc.record({
    kind: fc.constantFrom(...kinds),
    atMs: fc.integer({ min: T0, max: T0 + 3_600_000 }),
  });

  it('reaches the same launch time, termination and state whatever the event order', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 8 }), (facts) => {
        const events = facts.map((f, i) =>
          instanceEvent({ ...f, eventId: `e${i}`, instanceId: 'i-1' }),
        );
        const pick = (evs: typeof events) => {
          const [row] = mergeEvents(evs, new Map()).changed;
          return row && { at: row.launchedAtMs, end: row.terminatedAtMs, state: row.state };
        };
        expect(pick([...events].reverse())).toEqual(pick(events));
      }),
    );
  });

  it('counts a launch once its launch time is known, not for a termination alone', () => {
    const terminated = mergeEvents([instanceEvent({ kind: 'terminated' })], new Map());
    expect(terminated.launched).toEqual([]);
    expect(terminated.created).toEqual(new Set(['i-0a1b2c3d4e5f60001']));
    const before = new Map(terminated.changed.map((r) => [r.instanceId, r]));
    const launched = mergeEvents([instanceEvent({ kind: 'launched' })], before);
    expect(launched.launched.map((r) => r.state)).toEqual(['terminated']);
    expect(launched.created.size).toBe(0);
  });
});

describe('cursor', () => {
  it('round-trips a page end and refuses anything else', () => {
    const cursor = encodeCursor({ outcomeAtMs: T0, instanceId: 'i-1', bootId: 'b' });
    expect(decodeCursor(cursor)).toEqual({ outcomeAtMs: T0, instanceId: 'i-1', bootId: 'b' });
    for (const bad of ['', 'e30', Buffer.from('[1,2,3]').toString('base64url'), '%%%']) {
      expect(() => decodeCursor(bad)).toThrow(expect.objectContaining({ code: 'BW_BODY_INVALID' }));
    }
  });
});
