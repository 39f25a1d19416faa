import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImageRecord, RollupRow } from '../../../collector/model.js';
import { bootTimeline } from '../../../collector/routes/boot-timeline.js';
import { bucketQuantile, imageStats } from '../../../collector/routes/image-stats.js';
import { parseSince } from '../../../collector/routes/query.js';
import { TimeToReadyBuckets } from '../../../shared/conventions.js';
import { BootwatchError } from '../../../shared/errors.js';

const buckets = (at: Record<number, number>) =>
  Array.from({ length: TimeToReadyBuckets.length + 1 }, (_, i) => at[i] ?? 0);

function row(over: Partial<RollupRow>): RollupRow {
  return {
    amiId: 'ami-00000001',
    amiVersion: '1.0',
    region: 'eu-west-1',
    asg: 'web',
    instanceType: 't3.micro',
    minuteMs: 0,
    outcome: 'success',
    reason: 'none',
    count: 0,
    ttrSum: 0,
    ttrBuckets: buckets({}),
    ...over,
  };
}

describe('bucketQuantile', () => {
  it('interpolates within the bucket that holds the rank (the worked example)', () => {
    expect(bucketQuantile(0.5, [2, 6, 2, 0], [10, 20, 30])).toBe(15);
  });

  it('answers the highest finite bound for the +Inf bucket and null without data', () => {
    expect(bucketQuantile(0.99, [0, 0, 0, 5], [10, 20, 30])).toBe(30);
    expect(bucketQuantile(0.5, [0, 0, 0, 0], [10, 20, 30])).toBeNull();
  });

  it('is monotonic in q and stays within the bucket of the rank', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 50 }), {
          minLength: TimeToReadyBuckets.length + 1,
          maxLength: TimeToReadyBuckets.length + 1,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (counts, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const x = bucketQuantile(lo, counts, TimeToReadyBuckets);
          const y = bucketQuantile(hi, counts, TimeToReadyBuckets);
          if (counts.every((n) => n === 0)) return x === null && y === null;
          expect(x!).toBeLessThanOrEqual(y! + 1e-9);
          expect(x!).toBeGreaterThanOrEqual(0);
          expect(y!).toBeLessThanOrEqual(TimeToReadyBuckets[TimeToReadyBuckets.length - 1]!);
          return true;
        },
      ),
    );
  });
});

describe('imageStats', () => {
  it('sums first boots per version, failures by reason, and percentiles of successes only', () => {
    const rows = [
      row({ count: 8, ttrBuckets: buckets({ 4: 8 }) }), // 8 in (20, 30]
      row({ minuteMs: 60_000, count: 2, ttrBuckets: buckets({ 5: 2 }), asg: 'api' }), // (30, 45]
      row({ outcome: 'failure', reason: 'no_report', count: 1, ttrBuckets: buckets({ 14: 1 }) }),
      row({
        outcome: 'failure',
        reason: 'probe_timeout',
        count: 2,
        ttrBuckets: buckets({ 13: 2 }),
      }),
      row({ amiVersion: '0.9', count: 1, ttrBuckets: buckets({ 0: 1 }) }),
    ];
    const images: ImageRecord[] = [
      {
        amiId: 'ami-00000001',
        region: 'eu-west-1',
        name: 'web',
        version: '1.0',
        build: { git: 'abc' },
        source: 'registry',
        registeredAtMs: 5,
      },
      {
        amiId: 'ami-00000009',
        region: null,
        name: null,
        version: '2.0',
        build: {},
        source: 'registry',
        registeredAtMs: 6,
      },
    ];
    const stats = imageStats(rows, images);
    expect(stats.map((s) => s.amiVersion)).toEqual(['2.0', '1.0', '0.9']);
    const v1 = stats[1]!;
    expect(v1.launches).toBe(13);
    expect(v1.successes).toBe(10);
    expect(v1.failures).toEqual({ no_report: 1, probe_timeout: 2 });
    expect(v1.successRatio).toBeCloseTo(10 / 13);
    // rank 5 of 10: 5/8 into (20, 30]
    expect(v1.timeToReadySeconds.p50).toBeCloseTo(26.25);
    // rank 9.5: 1.5/2 into (30, 45]
    expect(v1.timeToReadySeconds.p95).toBeCloseTo(41.25);
    expect(v1.images.map((i) => i.amiId)).toEqual(['ami-00000001']);
    expect(stats[0]).toMatchObject({
      launches: 0,
      successRatio: null,
      timeToReadySeconds: { p50: null },
    });
  });
});

describe('bootTimeline', () => {
  it('lays phases end to end in boot order and shows what they do not cover', () => {
    const t = bootTimeline({
      timeToReadySeconds: 35,
      phases: { cloud_init_init: 8, provisioning: 20, kernel: 2 },
    });
    expect(t.phases).toEqual([
      { phase: 'provisioning', startSeconds: 0, durationSeconds: 20 },
      { phase: 'kernel', startSeconds: 20, durationSeconds: 2 },
      { phase: 'cloud_init_init', startSeconds: 22, durationSeconds: 8 },
    ]);
    expect(t.unaccountedSeconds).toBe(5);
  });
});

describe('parseSince', () => {
  const now = Date.parse('2024-05-08T00:00:00Z');
  it('takes a window back from now or an RFC 3339 instant', () => {
    expect(parseSince('7d', now, '30d')).toBe(Date.parse('2024-05-01T00:00:00Z'));
    expect(parseSince(undefined, now, '1d')).toBe(Date.parse('2024-05-07T00:00:00Z'));
    expect(parseSince('2024-05-02T12:00:00Z', now, '30d')).toBe(Date.parse('2024-05-02T12:00:00Z'));
  });
  it('rejects anything else as BW_BODY_INVALID naming the parameter', () => {
    try {
      parseSince('last week', now, '30d');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BootwatchError);
      expect((e as BootwatchError).code).toBe('BW_BODY_INVALID');
      expect((e as BootwatchError).message).toContain('since');
    }
  });
});
