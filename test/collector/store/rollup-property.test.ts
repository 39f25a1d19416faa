// For any sequence of reports (repeats, corrections, reboots), launches, terminations and sweeps,
// the rollups equal a recount of the stored first boots, and the persisted counters
// (boots_total - boots_retracted_total, and the time-to-ready histogram minus its retractions)
// equal a count of them by label. Reports between two
// events or sweeps are sent at once, as concurrent requests would be: the store then writes them
// in shared transactions (group commit), which must come to the same state.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { PromMetric, TimeToReadyBuckets } from '../../../shared/conventions.js';
import { labelRecord } from '../../../collector/store/counter-deltas.js';
import { bucketIndex, minuteOf } from '../../../collector/store/rollup-math.js';
import type { StoredBoot } from '../../../collector/model.js';
import type { Store } from '../../../collector/store/store.js';
import {
  bootReport,
  createHarness,
  describeStores,
  instanceEvent,
  iso,
  MinuteMs,
  T0,
} from '../../support/stores.js';

const Deadline = 10 * MinuteMs;

const outcomes = [
  ['success', 'none'],
  ['failure', 'cloud_init_error'],
  ['failure', 'probe_timeout'],
] as const;

// Few instances and a handful of times, so that sequences often hit the interesting cases: a
// launch swept as no_report and then corrected by its late report, a termination, a repeat.
const instance = fc.constantFrom(0, 1, 2);
const op = fc.oneof(
  fc.record({
    kind: fc.constant('report' as const),
    instance,
    boot: fc.nat(1),
    firstBoot: fc.boolean(),
    version: fc.constantFrom('1.0', '2.0'),
    asg: fc.constantFrom('web', undefined),
    outcome: fc.constantFrom(...outcomes),
    ttrMs: fc.oneof(fc.constantFrom(0, 5000, 5001, 120_000), fc.nat(2_000_000)),
    minute: fc.constantFrom(0, 1, 2, 3),
    detail: fc.constantFrom(undefined, 'x'),
  }),
  fc.record({ kind: fc.constant('repeat' as const), index: fc.nat() }),
  fc.record({
    kind: fc.constant('launch' as const),
    instance,
    minute: fc.constantFrom(0, 1, 2, 3),
  }),
  fc.record({
    kind: fc.constant('terminate' as const),
    instance,
    minute: fc.constantFrom(1, 5, 15),
  }),
  fc.record({ kind: fc.constant('sweep' as const), minute: fc.constantFrom(5, 12, 20, 40) }),
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function play(store: Store, ops: Op[]): Promise<void> {
  const sent: Parameters<Store['upsertBoot']>[0][] = [];
  const inFlight: Promise<unknown>[] = [];
  const settle = () => Promise.all(inFlight.splice(0));
  let n = 0;
  for (const o of ops) {
    n++;
    if (o.kind === 'report') {
      const report = bootReport({
        instanceId: `i-${o.instance}`,
        bootId: `b-${o.boot}`,
        firstBoot: o.firstBoot,
        amiVersion: o.version,
        asg: o.asg,
        outcome: o.outcome[0],
        reason: o.outcome[1],
        timeToReadySeconds: o.ttrMs / 1000,
        launchedAt: iso(T0 + o.minute * MinuteMs),
        failureDetail: o.detail,
      });
      sent.push(report);
      inFlight.push(store.upsertBoot(report, T0));
    } else if (o.kind === 'repeat') {
      const report = sent[o.index % Math.max(1, sent.length)];
      if (report !== undefined) inFlight.push(store.upsertBoot(report, T0));
    } else if (o.kind === 'launch' || o.kind === 'terminate') {
      await settle();
      const at = T0 + o.minute * MinuteMs;
      const kind = o.kind === 'launch' ? 'launched' : 'terminated';
      const event = instanceEvent({
        eventId: `e-${n}`,
        instanceId: `i-${o.instance}`,
        kind,
        atMs: at,
      });
      await store.recordEvents([event], at);
    } else {
      await settle();
      await store.sweep(T0 + o.minute * MinuteMs, Deadline);
    }
  }
  await settle();
}

async function storedBoots(store: Store): Promise<StoredBoot[]> {
  const all: StoredBoot[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await store.queryBoots({ limit: 1000, cursor });
    all.push(...result.boots);
    if (result.nextCursor === null) return all;
    cursor = result.nextCursor;
  }
  throw new Error('paging did not end');
}

function recount(
  boots: StoredBoot[],
): Map<string, { count: number; ttrMs: number; buckets: number[] }> {
  const out = new Map<string, { count: number; ttrMs: number; buckets: number[] }>();
  for (const b of boots.filter((x) => x.firstBoot)) {
    const key = JSON.stringify([
      minuteOf(b.outcomeAtMs),
      b.amiId,
      b.amiVersion,
      b.region,
      b.asg ?? '',
      b.instanceType,
      b.outcome,
      b.reason,
    ]);
    const row = out.get(key) ?? {
      count: 0,
      ttrMs: 0,
      buckets: new Array<number>(TimeToReadyBuckets.length + 1).fill(0),
    };
    row.count += 1;
    row.ttrMs += Math.round(b.timeToReadySeconds * 1000);
    const i = bucketIndex(b.timeToReadySeconds, TimeToReadyBuckets);
    row.buckets[i] = (row.buckets[i] ?? 0) + 1;
    out.set(key, row);
  }
  return out;
}

describeStores('store: rollups and counters agree with the stored boots', (_harness, engine) => {
  it('for any sequence of reports, events and sweeps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 5, maxLength: 40, size: 'large' }),
        async (ops) => {
          const h = await createHarness(engine);
          try {
            const store = await h.open();
            await play(store, ops);
            const boots = await storedBoots(store);

            const rollups = new Map(
              (await store.rollups({ fromMs: 0, toMs: 8.64e15 })).map((r) => [
                JSON.stringify([
                  r.minuteMs,
                  r.amiId,
                  r.amiVersion,
                  r.region,
                  r.asg,
                  r.instanceType,
                  r.outcome,
                  r.reason,
                ]),
                { count: r.count, ttrMs: Math.round(r.ttrSum * 1000), buckets: r.ttrBuckets },
              ]),
            );
            expect(rollups).toEqual(recount(boots));

            const counters = await store.loadCounters();
            const net = new Map<string, number>();
            for (const c of counters) {
              const sign =
                c.family === PromMetric.bootsTotal
                  ? 1
                  : c.family === PromMetric.bootsRetractedTotal
                    ? -1
                    : 0;
              if (sign === 0 || c.kind !== 'counter') continue;
              const key = JSON.stringify(labelRecord(c));
              net.set(key, (net.get(key) ?? 0) + sign * c.value);
            }
            const expected = new Map<string, number>();
            for (const b of boots.filter((x) => x.firstBoot)) {
              const key = JSON.stringify({
                ami_id: b.amiId,
                ami_version: b.amiVersion,
                region: b.region,
                asg: b.asg ?? '',
                instance_type: b.instanceType,
                outcome: b.outcome,
                reason: b.reason,
              });
              expected.set(key, (expected.get(key) ?? 0) + 1);
            }
            expect(new Map([...net].filter(([, v]) => v !== 0))).toEqual(expected);

            // The time-to-ready histogram minus its retractions, bucket by bucket, is the
            // histogram of the stored first boots: a boot reported twice with different times
            // counts once, in its last bucket.
            const histogram = new Map<string, number[]>();
            for (const c of counters) {
              const sign =
                c.family === PromMetric.timeToReadySeconds
                  ? 1
                  : c.family === PromMetric.timeToReadyRetractedSeconds
                    ? -1
                    : 0;
              if (sign === 0 || c.kind !== 'histogram') continue;
              const key = JSON.stringify(labelRecord(c));
              const sum = histogram.get(key) ?? new Array<number>(c.buckets.length).fill(0);
              c.buckets.forEach((n, i) => (sum[i]! += sign * n));
              histogram.set(key, sum);
            }
            const observed = new Map<string, number[]>();
            for (const b of boots.filter((x) => x.firstBoot)) {
              const key = JSON.stringify({
                ami_version: b.amiVersion,
                region: b.region,
                asg: b.asg ?? '',
                outcome: b.outcome,
              });
              const sum =
                observed.get(key) ?? new Array<number>(TimeToReadyBuckets.length + 1).fill(0);
              sum[bucketIndex(b.timeToReadySeconds, TimeToReadyBuckets)]! += 1;
              observed.set(key, sum);
            }
            expect(new Map([...histogram].filter(([, v]) => v.some((n) => n !== 0)))).toEqual(
              observed,
            );
          } finally {
            await h.dispose();
          }
        },
      ),
      { numRuns: engine === 'postgres' ? 25 : 60 },
    );
  });
});
