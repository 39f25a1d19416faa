// Several collector replicas on one PostgreSQL database: what the advisory locks are for.
import { expect, it } from 'vitest';
import { PromMetric } from '../../../shared/conventions.js';
import type { Store } from '../../../collector/store/store.js';
import { bootReport, describeStores, instanceEvent, T0 } from '../../support/stores.js';

const Deadline = 15 * 60_000;
const AllTime = { fromMs: 0, toMs: 8.64e15 };

async function launch(store: Store, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `i-${String(i).padStart(4, '0')}`);
  await store.recordEvents(
    ids.map((id) => instanceEvent({ eventId: `launch-${id}`, instanceId: id })),
    T0,
  );
  return ids;
}

async function countedBoots(stores: Store[]): Promise<number> {
  let total = 0;
  for (const store of stores) {
    for (const c of await store.loadCounters()) {
      if (c.kind !== 'counter') continue;
      if (c.family === PromMetric.bootsTotal) total += c.value;
      if (c.family === PromMetric.bootsRetractedTotal) total -= c.value;
    }
  }
  return total;
}

describeStores(
  'store: PostgreSQL replicas',
  (harness) => {
    it('decides each launch exactly once when replicas sweep at the same time', async () => {
      const h = harness();
      const replicas = await Promise.all(
        ['a', 'b', 'c'].map((r) => h.open({ replicaId: `replica-${r}` })),
      );
      const ids = await launch(replicas[0] as Store, 300);
      const decided: string[] = [];
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(replicas.map((s) => s.sweep(T0 + Deadline, Deadline)));
        const flat = results.flat();
        if (flat.length === 0) break;
        decided.push(...flat.map((r) => r.boot.instanceId));
      }
      expect(decided.sort()).toEqual(ids);
      const [rollup, ...others] = await replicas[1]!.rollups(AllTime);
      expect(others).toEqual([]);
      expect(rollup?.count).toBe(300);
      expect(await countedBoots(replicas)).toBe(300);
    });

    it('returns [] at once while another replica holds the sweep lock', async () => {
      const h = harness();
      const store = await h.open();
      await launch(store, 3);
      const blocker = await openBlocker(h.url);
      try {
        expect(await store.sweep(T0 + Deadline, Deadline)).toEqual([]);
      } finally {
        await blocker.end();
      }
      expect(await store.sweep(T0 + Deadline, Deadline)).toHaveLength(3);
    });

    it('counts a launch once when its late report races the sweeper on another replica', async () => {
      const h = harness();
      const [a, b] = await Promise.all([
        h.open({ replicaId: 'replica-a' }),
        h.open({ replicaId: 'replica-b' }),
      ]);
      const ids = await launch(a as Store, 40);
      await Promise.all([
        a!.sweep(T0 + Deadline, Deadline),
        ...ids.map((id) => b!.upsertBoot(bootReport({ instanceId: id }), T0 + Deadline)),
      ]);
      for (const id of ids) {
        const boots = await a!.getBoots(id);
        expect(boots.map((x) => [x.source, x.reason])).toEqual([['agent', 'none']]);
      }
      const rollups = await a!.rollups(AllTime);
      expect(rollups.map((r) => [r.reason, r.count])).toEqual([['none', 40]]);
      expect(await countedBoots([a!, b!])).toBe(40);
    });

    it('stores a report sent to two replicas at once a single time', async () => {
      const h = harness();
      const [a, b] = await Promise.all([h.open({ replicaId: 'a' }), h.open({ replicaId: 'b' })]);
      const results = await Promise.all([
        a!.upsertBoot(bootReport(), T0),
        b!.upsertBoot(bootReport(), T0),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['inserted', 'unchanged']);
      expect((await a!.rollups(AllTime)).map((r) => r.count)).toEqual([1]);
      expect(await countedBoots([a!, b!])).toBe(1);
    });
  },
  ['postgres'],
);

/** A connection holding the sweep lock of the test's schema until it ends. */
async function openBlocker(url: string) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `SELECT pg_advisory_lock(hashtext(current_setting('search_path') || ':bootwatch:global'), 2)`,
  );
  return client;
}
