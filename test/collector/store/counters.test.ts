import { expect, it } from 'vitest';
import { PromMetric, TimeToReadyBuckets } from '../../../shared/conventions.js';
import { mergeCounterDeltas } from '../../../collector/store/counter-deltas.js';
import type { CounterDelta } from '../../../collector/store/store.js';
import { bootReport, describeStores, instanceEvent, T0 } from '../../support/stores.js';

/** A counter family's total over every label set. */
const total = (deltas: CounterDelta[], family: string) =>
  deltas.reduce((n, d) => n + (d.family === family && d.kind === 'counter' ? d.value : 0), 0);

describeStores('store: counters', (harness) => {
  it('persists what the writes returned, and loads it back after close and reopen', async () => {
    const h = harness();
    const store = await h.open({ replicaId: 'collector-a' });
    const returned: CounterDelta[] = [];
    returned.push(...(await store.upsertBoot(bootReport(), T0)).counters);
    returned.push(
      ...(await store.upsertBoot(bootReport({ instanceId: 'i-2', timeToReadySeconds: 130 }), T0))
        .counters,
    );
    returned.push(
      ...(await store.recordEvents([instanceEvent({ instanceId: 'i-3' })], T0)).counters,
    );
    returned.push(...(await store.upsertBoot(bootReport({ timeToReadySeconds: 12 }), T0)).counters);
    await store.close();

    const reopened = await h.open({ replicaId: 'collector-a' });
    const loaded = await reopened.loadCounters();
    expect(loaded).toEqual(mergeCounterDeltas(returned));
    expect(total(loaded, PromMetric.bootsTotal)).toBe(3);
    expect(total(loaded, PromMetric.bootsRetractedTotal)).toBe(1);
    expect(total(loaded, PromMetric.launchesTotal)).toBe(1);
    const ttr = loaded.filter((c) => c.family === PromMetric.timeToReadySeconds);
    expect(ttr).toHaveLength(1);
    const [histogram] = ttr;
    if (histogram?.kind !== 'histogram') throw new Error('no time-to-ready histogram');
    // 42.5 (retracted, still observed: counters never go down), 130 and 12.
    expect(histogram.sum).toBe(42.5 + 130 + 12);
    const at = (bound: number) => histogram.buckets[TimeToReadyBuckets.indexOf(bound as 15)];
    expect([at(15), at(45), at(180)]).toEqual([1, 1, 1]);
    expect(histogram.buckets.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('keeps each replica its own counters', async () => {
    const h = harness();
    const a = await h.open({ replicaId: 'collector-a' });
    const b = await h.open({ replicaId: 'collector-b' });
    await a.upsertBoot(bootReport(), T0);
    await b.upsertBoot(bootReport({ instanceId: 'i-b1' }), T0);
    await b.upsertBoot(
      bootReport({ instanceId: 'i-b2', outcome: 'failure', reason: 'unit_failed' }),
      T0,
    );
    expect(total(await a.loadCounters(), PromMetric.bootsTotal)).toBe(1);
    expect(total(await b.loadCounters(), PromMetric.bootsTotal)).toBe(2);
    const c = await h.open({ replicaId: 'collector-c' });
    expect(await c.loadCounters()).toEqual([]);
  });

  it('writes reports that arrive together in one go, each counted once', async () => {
    const store = await harness().open();
    const reports = Array.from({ length: 40 }, (_, i) =>
      bootReport({ instanceId: `i-${i}`, timeToReadySeconds: i }),
    );
    // Repeats and a correction of the same instance, queued behind the first write of it.
    const results = await Promise.all([
      ...reports.map((r) => store.upsertBoot(r, T0)),
      store.upsertBoot(reports[0]!, T0),
      store.upsertBoot({ ...reports[1]!, outcome: 'failure', reason: 'unit_failed' }, T0),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      ...reports.map(() => 'inserted'),
      'unchanged',
      'updated',
    ]);
    const loaded = await store.loadCounters();
    expect(loaded).toEqual(mergeCounterDeltas(results.flatMap((r) => r.counters)));
    expect(
      total(loaded, PromMetric.bootsTotal) - total(loaded, PromMetric.bootsRetractedTotal),
    ).toBe(40);
    expect((await store.queryBoots({ limit: 100 })).boots).toHaveLength(40);
  });
});
