// Writes of concurrent requests share a transaction (boots, events, heartbeats), with the same
// guarantees as one at a time: each request hears only once its own write is committed, and
// one request's bad data fails that request alone. On PostgreSQL a batch of boot reports or
// heartbeats is one statement (no BEGIN, no COMMIT: one round trip), and a batch planned against
// boots that another writer changed meanwhile is planned again, never written over them.
import pg from 'pg';
import { afterEach, expect, it, vi } from 'vitest';
import { PromMetric } from '../../../shared/conventions.js';
import { isBootwatchError } from '../../../shared/errors.js';
import type { Heartbeat } from '../../../collector/model.js';
import type { Store } from '../../../collector/store/store.js';
import { bootReport, describeStores, instanceEvent, T0 } from '../../support/stores.js';

const AllTime = { fromMs: 0, toMs: 8.64e15 };
const Deadline = 15 * 60_000;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Every statement any pg client of this process sends, by its name (or its text). */
function recordStatements(): string[] {
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const q = args[0];
    sent.push(
      typeof q === 'string'
        ? q
        : String((q as { name?: string; text: string }).name ?? (q as { text: string }).text),
    );
    return (query as (...a: unknown[]) => unknown).apply(this, args) as never;
  });
  return sent;
}

/**
 * Runs `between` once, after the first result of the statement named `name` arrived and before
 * its caller hears it (pg-pool calls clients with a callback).
 */
function afterResult(name: string, between: () => Promise<unknown>): void {
  const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
  let done = false;
  vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const callback = args.at(-1);
    if (done || (args[0] as { name?: string }).name !== name || typeof callback !== 'function') {
      return query.apply(this, args) as never;
    }
    done = true;
    const rest = args.slice(0, -1);
    return query.apply(this, [
      ...rest,
      (err: unknown, res: unknown) => {
        void between().then(() => (callback as (e: unknown, r: unknown) => void)(err, res));
      },
    ]) as never;
  });
}

function boot(n: number, overrides: Parameters<typeof bootReport>[0] = {}) {
  const id = `i-${String(n).padStart(17, '0')}`;
  return bootReport({ instanceId: id, bootId: `boot-${n}`, ...overrides });
}

function beat(instanceId: string, atMs: number): Heartbeat {
  return { instanceId, amiId: 'ami-1', amiVersion: '1.4.0', region: 'us-east-1', asg: '', atMs };
}

async function launches(store: Store): Promise<number> {
  return (await store.loadCounters())
    .filter((c) => c.family === PromMetric.launchesTotal && c.kind === 'counter')
    .reduce((n, c) => n + (c.kind === 'counter' ? c.value : 0), 0);
}

describeStores(
  'store: batches on PostgreSQL are one statement',
  (harness) => {
    it('writes the boot reports of concurrent requests in one statement, a repeat in two', async () => {
      const store = await harness().open();
      await store.upsertBoot(boot(0), T0); // the statement is prepared on a connection
      const sent = recordStatements();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.upsertBoot(boot(i + 1), T0)),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill('inserted'));
      expect(sent).toEqual(['bw_write_boots']);

      // A batch planned as new that holds a stored boot: nothing written, planned again.
      sent.length = 0;
      const again = await Promise.all([
        store.upsertBoot(boot(1), T0),
        store.upsertBoot(boot(21), T0),
        store.upsertBoot(boot(2, { timeToReadySeconds: 50 }), T0),
      ]);
      expect(again.map((r) => r.status)).toEqual(['unchanged', 'inserted', 'updated']);
      expect(sent).toEqual(['bw_write_boots', 'bw_write_boots']);
      const [rollup] = await store.rollups(AllTime);
      expect(rollup?.count).toBe(22);
    });

    it('writes the heartbeats of concurrent requests in one statement', async () => {
      const store = await harness().open();
      await store.recordHeartbeats([beat('i-warm', T0)]);
      const sent = recordStatements();
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.recordHeartbeats([beat(`i-${i % 10}`, T0 + i)])),
      );
      expect(sent).toEqual(['bw_put_heartbeats']);
    });

    it('writes the events of concurrent requests in one transaction', async () => {
      const store = await harness().open();
      await store.recordEvents([instanceEvent({ eventId: 'warm', instanceId: 'i-warm' })], T0);
      const sent = recordStatements();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.recordEvents([instanceEvent({ eventId: `l-${i}`, instanceId: `i-${i}` })], T0),
        ),
      );
      expect(results.map((r) => r.fresh.length)).toEqual(Array(10).fill(1));
      expect(sent.filter((q) => q === 'BEGIN')).toHaveLength(1);
    });

    it('plans a boot again when another replica changed it between its check and its write', async () => {
      const h = harness();
      const [a, b] = await Promise.all([
        h.open({ replicaId: 'replica-a' }),
        h.open({ replicaId: 'replica-b' }),
      ]);
      const feed = a.rollupFeed();
      await feed.read([]);
      await a.upsertBoot(boot(1, { timeToReadySeconds: 40 }), T0);
      // A's next batch is planned as new, answered with the stored boot (40 s), and planned
      // again; B corrects the boot (60 s) before A's second call, which must see it.
      afterResult('bw_write_boots', () => b.upsertBoot(boot(1, { timeToReadySeconds: 60 }), T0));
      const result = await a.upsertBoot(boot(1, { timeToReadySeconds: 50 }), T0);
      expect(result.status).toBe('updated');
      expect((await a.getBoots(boot(1).instanceId)).map((x) => x.timeToReadySeconds)).toEqual([50]);
      // One boot in the rollups, 50 s: the 40 s and 60 s versions each left it once.
      const [rollup, ...others] = await a.rollups(AllTime);
      expect(others).toEqual([]);
      expect([rollup?.count, rollup?.ttrSum]).toEqual([1, 50]);
      // And the feed, in the same transactions: +40, then -40 +60 (B), then -60 +50 (A).
      const read = await feed.read([]);
      const moves = read.lost ? [] : read.changes.map((c) => c.sign * c.ttrSeconds);
      expect(moves.sort((x, y) => x - y)).toEqual([-60, -40, 40, 50, 60]);
    });
  },
  ['postgres'],
);

describeStores('store: writes of concurrent requests share a transaction', (harness) => {
  it('gives a new event to the first request that carries it, and counts its launch once', async () => {
    const store = await harness().open();
    const launch = instanceEvent({ eventId: 'launch-1', instanceId: 'i-1' });
    const running = instanceEvent({ eventId: 'running-1', instanceId: 'i-1', kind: 'running' });
    const other = instanceEvent({ eventId: 'launch-2', instanceId: 'i-2' });
    const [first, second, third] = await Promise.all([
      store.recordEvents([launch], T0),
      store.recordEvents([running, launch], T0),
      store.recordEvents([other, other], T0),
    ]);
    expect(first?.fresh).toEqual([launch]);
    expect(first?.counters.map((c) => c.family)).toEqual([PromMetric.launchesTotal]);
    expect(second?.fresh).toEqual([running]);
    expect(second?.counters).toEqual([]);
    expect(third?.fresh).toEqual([other]);
    expect(third?.counters).toHaveLength(1);
    expect(await launches(store)).toBe(2);
    expect((await store.getLaunch('i-1'))?.state).toBe('running');
  });

  it('fails the request whose events are bad, and only that one', async () => {
    const store = await harness().open();
    const good = instanceEvent({ eventId: 'good', instanceId: 'i-good' });
    const bad = { ...instanceEvent({ eventId: 'bad', instanceId: 'i-bad' }), kind: 'exploded' };
    const [ok, failed] = await Promise.allSettled([
      store.recordEvents([good], T0),
      store.recordEvents([bad as unknown as typeof good], T0),
    ]);
    expect(ok.status === 'fulfilled' && ok.value.fresh).toEqual([good]);
    expect(failed.status === 'rejected' && isBootwatchError(failed.reason, 'BW_STORE_WRITE')).toBe(
      true,
    );
    expect(await store.getLaunch('i-good')).not.toBeNull();
    expect(await store.getLaunch('i-bad')).toBeNull();
    expect(await launches(store)).toBe(1);
  });

  it('keeps the latest heartbeat of each instance across requests; a bad one fails alone', async () => {
    const store = await harness().open();
    await store.recordEvents(
      ['i-a', 'i-b'].map((id) => instanceEvent({ eventId: `l-${id}`, instanceId: id })),
      T0,
    );
    const results = await Promise.allSettled([
      store.recordHeartbeats([beat('i-a', T0 + 60_000)]),
      store.recordHeartbeats([beat('i-a', T0 + 10_000), beat('i-b', T0 + 5_000)]),
      store.recordHeartbeats([beat('i-c', Number.NaN)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(await store.coverage(T0 + 30_000)).toEqual({ running: 2, heartbeating: 1 });
    expect(await store.coverage(T0)).toEqual({ running: 2, heartbeating: 2 });
  });

  it('prunes the heartbeats of instances that ended, whatever their age', async () => {
    const h = harness();
    const store = await h.open();
    await store.recordEvents(
      [
        instanceEvent({ eventId: 'l-a', instanceId: 'i-a' }),
        instanceEvent({ eventId: 'l-b', instanceId: 'i-b' }),
        instanceEvent({ eventId: 't-b', instanceId: 'i-b', kind: 'terminated', atMs: T0 + 1 }),
      ],
      T0,
    );
    await store.recordHeartbeats([beat('i-a', T0 + Deadline), beat('i-b', T0 + Deadline)]);
    await store.pruneBoots(T0 - Deadline);
    const left = await h.sql('SELECT instance_id FROM heartbeats ORDER BY instance_id');
    expect(left.map((r) => r.instance_id)).toEqual(['i-a']);
  });
});
