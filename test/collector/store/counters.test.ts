import { expect, it } from 'vitest';
import { PromMetric } from '../../../shared/conventions.js';
import { mergeCounterDeltas } from '../../../collector/store/counter-deltas.js';
import type { CounterDelta } from '../../../collector/store/store.js';
import { bootReport, describeStores, instanceEvent, T0 } from '../../support/stores.js';

const series = (deltas: CounterDelta[], name: string) =>
  mergeCounterDeltas(deltas.filter((d) => d.name === name));

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
    expect(series(loaded, PromMetric.bootsTotal).map((c) => c.delta)).toEqual([3]);
    expect(series(loaded, PromMetric.bootsRetractedTotal).map((c) => c.delta)).toEqual([1]);
    const ttrCount = series(loaded, `${PromMetric.timeToReadySeconds}_count`);
    expect(ttrCount.map((c) => c.delta)).toEqual([3]);
    const le = (v: string) =>
      loaded.find((c) => c.name === `${PromMetric.timeToReadySeconds}_bucket` && c.labels.le === v)
        ?.delta;
    expect([le('15'), le('45'), le('120'), le('180'), le('+Inf')]).toEqual([1, 2, 2, 3, 3]);
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
    const total = async (store: typeof a) =>
      series(await store.loadCounters(), PromMetric.bootsTotal).reduce((n, c) => n + c.delta, 0);
    expect(await total(a)).toBe(1);
    expect(await total(b)).toBe(2);
    const c = await h.open({ replicaId: 'collector-c' });
    expect(await c.loadCounters()).toEqual([]);
  });
});
