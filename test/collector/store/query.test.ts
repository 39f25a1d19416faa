import { expect, it } from 'vitest';
import { isBootwatchError } from '../../../shared/errors.js';
import type { StoredBoot } from '../../../collector/model.js';
import type { Store } from '../../../collector/store/store.js';
import {
  bootReport,
  describeStores,
  instanceEvent,
  iso,
  MinuteMs,
  T0,
} from '../../support/stores.js';

/** 12 boots: 4 instances x 3 outcome minutes, so that several boots tie on outcome time. */
async function seed(store: Store): Promise<void> {
  for (let i = 0; i < 4; i++) {
    for (let m = 0; m < 3; m++) {
      await store.upsertBoot(
        bootReport({
          instanceId: `i-${i}`,
          bootId: `boot-${m}`,
          firstBoot: m === 0,
          launchedAt: iso(T0 + m * MinuteMs),
          timeToReadySeconds: 30,
          amiVersion: i % 2 === 0 ? '1.0.0' : '2.0.0',
          outcome: i === 3 ? 'failure' : 'success',
          reason: i === 3 ? 'cloud_init_error' : 'none',
        }),
        T0 + m * MinuteMs + 31_000,
      );
    }
  }
}

const key = (b: StoredBoot) => `${b.outcomeAtMs}/${b.instanceId}/${b.bootId}`;

async function allPages(store: Store, limit: number, filter = {}): Promise<StoredBoot[][]> {
  const pages: StoredBoot[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await store.queryBoots({ ...filter, limit, cursor });
    pages.push(page.boots);
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
  throw new Error('paging did not end within 50 pages');
}

describeStores('store: queries, paging and pruning', (harness) => {
  it('pages by outcome time desc then key, each boot exactly once', async () => {
    const store = await harness().open();
    await seed(store);
    const pages = await allPages(store, 5);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    const keys = pages.flat().map(key);
    expect(new Set(keys).size).toBe(12);
    const times = pages.flat().map((b) => b.outcomeAtMs);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(keys.slice(0, 4)).toEqual(
      [3, 2, 1, 0].map((i) => `${T0 + 2 * MinuteMs + 30_000}/i-${i}/boot-2`),
    );
    // a boot added after the first page does not shift the later pages
    const first = await store.queryBoots({ limit: 5 });
    await store.upsertBoot(
      bootReport({ instanceId: 'i-new', launchedAt: iso(T0 + 9 * MinuteMs) }),
      T0,
    );
    const second = await store.queryBoots({ limit: 5, cursor: first.nextCursor ?? undefined });
    expect(second.boots.map(key)).toEqual(pages[1]?.map(key));
  });

  it('filters by version, outcome, reason and outcome time', async () => {
    const store = await harness().open();
    await seed(store);
    const v2 = (await allPages(store, 100, { amiVersion: '2.0.0' })).flat();
    expect(new Set(v2.map((b) => b.instanceId))).toEqual(new Set(['i-1', 'i-3']));
    const failed = (
      await allPages(store, 100, { outcome: 'failure', reason: 'cloud_init_error' })
    ).flat();
    expect(failed.map((b) => b.instanceId)).toEqual(['i-3', 'i-3', 'i-3']);
    const recent = (await allPages(store, 100, { sinceMs: T0 + MinuteMs + 30_000 })).flat();
    expect(recent).toHaveLength(8);
    expect((await store.queryBoots({ limit: 10, reason: 'probe_timeout' })).boots).toEqual([]);
  });

  it('refuses a cursor it did not issue and a page size out of range', async () => {
    const store = await harness().open();
    const bad = await store
      .queryBoots({ limit: 5, cursor: 'not-a-cursor' })
      .catch((e: unknown) => e);
    expect(isBootwatchError(bad, 'BW_BODY_INVALID')).toBe(true);
    const big = await store.queryBoots({ limit: 100_000 }).catch((e: unknown) => e);
    expect(isBootwatchError(big, 'BW_BODY_INVALID')).toBe(true);
  });

  it('returns the rollups that hold a bad boot: failures, and successes slower than a bucket', async () => {
    const store = await harness().open();
    const boot = (id: string, seconds: number, failed = false) =>
      store.upsertBoot(
        bootReport({
          instanceId: id,
          launchedAt: iso(T0),
          timeToReadySeconds: seconds,
          outcome: failed ? 'failure' : 'success',
          reason: failed ? 'cloud_init_error' : 'none',
          instanceType: `t3.${id}`,
        }),
        T0,
      );
    await boot('fast', 30);
    await boot('slow', 200);
    await boot('failed', 600, true);
    // A rollup's minute is its boot's outcome minute: launch + time to ready.
    const range = { fromMs: T0, toMs: T0 + 20 * MinuteMs };
    const kinds = async (slowAbove: number) =>
      (await store.badRollups(range, slowAbove)).map((r) => r.instanceType).sort();
    expect(await store.rollups(range)).toHaveLength(3);
    // 120 s is bucket 8; 200 s falls in bucket 10 (<= 240 s).
    expect(await kinds(8)).toEqual(['t3.failed', 't3.slow']);
    expect(await kinds(10)).toEqual(['t3.failed']);
    expect(await kinds(16)).toEqual(['t3.failed']);
    expect(
      await store.badRollups({ fromMs: T0 + 20 * MinuteMs, toMs: T0 + 30 * MinuteMs }, 0),
    ).toEqual([]);
  });

  it('returns rollups in a time range and the groups seen since a time', async () => {
    const store = await harness().open();
    await store.upsertBoot(bootReport({ instanceId: 'i-1', launchedAt: iso(T0) }), T0);
    await store.upsertBoot(
      bootReport({ instanceId: 'i-2', launchedAt: iso(T0 + 10 * MinuteMs), asg: 'api-asg' }),
      T0,
    );
    const first = await store.rollups({ fromMs: T0, toMs: T0 + MinuteMs });
    expect(first.map((r) => [r.minuteMs, r.asg])).toEqual([[T0, 'web-asg']]);
    expect(await store.rollups({ fromMs: T0 + MinuteMs, toMs: T0 + 10 * MinuteMs })).toEqual([]);
    expect((await store.groups(T0)).map((g) => g.asg)).toEqual(['api-asg', 'web-asg']);
    expect(await store.groups(T0 + 5 * MinuteMs)).toEqual([
      {
        amiId: 'ami-0abc1234def567890',
        amiVersion: '1.4.0',
        region: 'us-east-1',
        asg: 'api-asg',
        instanceType: 'm5.large',
      },
    ]);
  });

  it('prunes raw boots and settled launches older than retention, keeping rollups and counters', async () => {
    const store = await harness().open();
    await seed(store);
    await store.recordEvents(
      [
        instanceEvent({ eventId: 'old-l', instanceId: 'i-0' }),
        instanceEvent({ eventId: 'old-t', instanceId: 'i-0', kind: 'terminated', atMs: T0 + 1000 }),
        instanceEvent({ eventId: 'live', instanceId: 'i-live' }),
      ],
      T0,
    );
    const rollups = await store.rollups({ fromMs: 0, toMs: 8.64e15 });
    const counters = await store.loadCounters();
    const deleted = await store.pruneBoots(T0 + MinuteMs + 30_000);
    expect(deleted).toBe(4);
    expect((await allPages(store, 100)).flat()).toHaveLength(8);
    expect(await store.rollups({ fromMs: 0, toMs: 8.64e15 })).toEqual(rollups);
    expect(await store.loadCounters()).toEqual(counters);
    expect(await store.getLaunch('i-0')).toBeNull(); // terminated and reported
    expect(await store.getLaunch('i-live')).not.toBeNull(); // still running
  });
});
