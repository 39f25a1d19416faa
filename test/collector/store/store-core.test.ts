// The pure core under both engines: bucket math, counter encoding, launch merging, cursors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PromMetric, TimeToReadyBuckets } from '../../../shared/conventions.js';
import {
  expandChanges,
  histogramDeltas,
  mergeCounterDeltas,
  type CounterChange,
} from '../../../collector/store/counter-deltas.js';
import { fromStoredCounters, toStoredCounters } from '../../../collector/store/counter-storage.js';
import { decodeCursor, encodeCursor } from '../../../collector/store/cursor.js';
import { mergeEvents } from '../../../collector/store/launch-merge.js';
import { bucketIndex } from '../../../collector/store/rollup-math.js';
import { instanceEvent, T0 } from '../../support/stores.js';

describe('bucketIndex', () => {
  it('puts a value in the first bucket whose bound it does not exceed (le is inclusive)', () => {
    expect([5, 5.001, 10, 1800, 1800.1, 0].map((v) => bucketIndex(v, TimeToReadyBuckets))).toEqual([
      0, 1, 1, 15, 16, 0,
    ]);
  });
});

describe('histogramDeltas', () => {
  it('gives every cumulative bucket, _sum and _count of one observation', () => {
    const deltas = histogramDeltas('h', { a: 'x' }, [30, 60], 42);
    expect(deltas).toEqual([
      { name: 'h_bucket', labels: { a: 'x', le: '30' }, delta: 0 },
      { name: 'h_bucket', labels: { a: 'x', le: '60' }, delta: 1 },
      { name: 'h_bucket', labels: { a: 'x', le: '+Inf' }, delta: 1 },
      { name: 'h_sum', labels: { a: 'x' }, delta: 42 },
      { name: 'h_count', labels: { a: 'x' }, delta: 1 },
    ]);
  });
});

describe('counter storage', () => {
  const observation = fc.oneof(
    fc.record({
      name: fc.constant(PromMetric.timeToReadySeconds),
      version: fc.constantFrom('1.0', '2.0'),
      value: fc.oneof(
        fc.constantFrom(0, 5, 120, 1800, 5000),
        fc.double({ min: 0, max: 4000, noNaN: true }),
      ),
    }),
    fc.record({
      name: fc.constant(PromMetric.bootPhaseSeconds),
      version: fc.constantFrom('1.0', '2.0'),
      value: fc.double({ min: 0, max: 900, noNaN: true }),
    }),
  );

  it('loads back, from the compact rows, every series the deltas added up to', () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 40 }), fc.nat(5), (observations, plain) => {
        const changes: CounterChange[] = observations.map((o) => ({
          kind: 'observe',
          histogram: o.name,
          labels: { ami_version: o.version },
          value: o.value,
        }));
        for (let i = 0; i < plain; i++) {
          const labels = { reason: `r${i % 2}` };
          changes.push({ kind: 'inc', name: PromMetric.bootsTotal, labels, delta: 1 });
        }
        expect(fromStoredCounters(toStoredCounters(changes))).toEqual(
          mergeCounterDeltas(expandChanges(changes)),
        );
      }),
    );
  });

  it('stores one bucket row per observed bucket, not every cumulative bucket', () => {
    const rows = toStoredCounters([
      { kind: 'observe', histogram: PromMetric.timeToReadySeconds, labels: { v: '1' }, value: 42 },
    ]);
    expect(rows).toEqual([
      { name: `${PromMetric.timeToReadySeconds}_bucket`, labels: '{"le":"45","v":"1"}', value: 1 },
      { name: `${PromMetric.timeToReadySeconds}_sum`, labels: '{"v":"1"}', value: 42 },
    ]);
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
