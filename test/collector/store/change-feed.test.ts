// The rollup change feed on both engines: every write that moves a rollup records the boots that
// entered and left it, in the same transaction; a reader gets each change once, with the rollups
// of the ranges it asks for as of the same moment; pruning past a reader tells it so. On
// PostgreSQL, transactions that commit out of their id order are each read exactly once.
import pg from 'pg';
import { expect, it } from 'vitest';
import type { RollupChange, RollupFeed, Store } from '../../../collector/store/store.js';
import { rollupKeyString } from '../../../collector/store/rollup-math.js';
import {
  bootReport,
  describeStores,
  instanceEvent,
  MinuteMs,
  PgUrl,
  T0,
  type StoreHarness,
} from '../../support/stores.js';

const AllTime = { fromMs: 0, toMs: 8.64e15 };

/** A read that must not be lost: its changes, as [version, outcome, reason, sign, ttr]. */
async function changes(feed: RollupFeed): Promise<[string, string, string, number, number][]> {
  const r = await feed.read([]);
  if (r.lost) throw new Error('lost');
  return r.changes.map(brief);
}

function brief(c: RollupChange): [string, string, string, number, number] {
  return [c.key.amiVersion, c.key.outcome, c.key.reason, c.sign, c.ttrSeconds];
}

/** The rollups summed by key, from a list of changes (what a reader would build). */
function sums(changes: readonly RollupChange[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of changes) {
    const k = rollupKeyString(c.key);
    out.set(k, (out.get(k) ?? 0) + c.sign);
  }
  for (const [k, n] of out) if (n === 0) out.delete(k);
  return out;
}

/**
 * PostgreSQL: waits until every transaction that wrote a change has ended for every snapshot
 * (the cluster's xmin passed them: other tests' transactions can hold it back a moment), so that
 * a reader that reads now is past them and the pruner may delete them. SQLite: nothing to wait for.
 */
async function settled(h: StoreHarness): Promise<void> {
  if (h.engine !== 'postgres') return;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const [row] = await h.sql(
      `SELECT coalesce(max(txid)::text, '0')::xid8 < pg_snapshot_xmin(pg_current_snapshot()) AS past
       FROM rollup_changes`,
    );
    if (row?.past === true) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the cluster xmin did not pass the feed rows within 30 s');
}

async function rollupCounts(store: Store): Promise<Map<string, number>> {
  const rows = await store.rollups(AllTime);
  return new Map(rows.map((r) => [rollupKeyString(r), r.count]));
}

describeStores('store: the rollup change feed', (harness, engine) => {
  it('records each boot entering or leaving a rollup row, each change read once', async () => {
    const store = await harness().open();
    const feed = store.rollupFeed();
    const first = await feed.read([AllTime]);
    expect(first).toEqual({ lost: false, rows: [], changes: [] });

    await store.upsertBoot(bootReport(), T0);
    expect(await changes(feed)).toEqual([['1.4.0', 'success', 'none', 1, 42.5]]);
    expect(await changes(feed)).toEqual([]);

    // A repeat moves nothing; a reboot is stored but not counted.
    await store.upsertBoot(bootReport(), T0 + 1000);
    await store.upsertBoot(bootReport({ bootId: 'reboot-1', firstBoot: false }), T0 + 2000);
    expect(await changes(feed)).toEqual([]);

    // A correction of the same boot: the old contribution leaves, the new one enters.
    await store.upsertBoot(bootReport({ timeToReadySeconds: 50 }), T0 + 3000);
    expect(await changes(feed)).toEqual([
      ['1.4.0', 'success', 'none', -1, 42.5],
      ['1.4.0', 'success', 'none', 1, 50],
    ]);

    // A silent launch decided no_report by the sweeper, then its late report replacing it.
    const late = 'i-0000000000000late';
    await store.recordEvents([instanceEvent({ instanceId: late, atMs: T0 })], T0);
    expect(await store.sweep(T0 + 20 * MinuteMs, 15 * MinuteMs)).toHaveLength(1);
    expect(await changes(feed)).toEqual([['1.4.0', 'failure', 'no_report', 1, 900]]);
    await store.upsertBoot(bootReport({ instanceId: late, bootId: 'late-boot' }), T0 + HourMs);
    expect(await changes(feed)).toEqual([
      ['1.4.0', 'failure', 'no_report', -1, 900],
      ['1.4.0', 'success', 'none', 1, 42.5],
    ]);
  });

  it('gives the rollups of the ranges asked for as of the read, the changes summing to them', async () => {
    const store = await harness().open();
    const feed = store.rollupFeed();
    await feed.read([]);
    const all: RollupChange[] = [];
    for (let i = 0; i < 12; i += 1) {
      const failed = i % 4 === 0;
      await store.upsertBoot(
        bootReport({
          instanceId: `i-${String(i).padStart(17, '0')}`,
          bootId: `b-${i}`,
          launchedAt: new Date(T0 + (i % 3) * MinuteMs).toISOString(),
          amiVersion: i % 2 === 0 ? '1.4.0' : '1.5.0',
          outcome: failed ? 'failure' : 'success',
          reason: failed ? 'cloud_init_error' : 'none',
        }),
        T0,
      );
      if (i % 5 === 4) {
        const r = await feed.read([]);
        if (r.lost) throw new Error('lost');
        all.push(...r.changes);
      }
    }
    const last = await feed.read([AllTime]);
    if (last.lost) throw new Error('lost');
    all.push(...last.changes);
    expect(sums(all)).toEqual(await rollupCounts(store));
    expect(new Map(last.rows.map((r) => [rollupKeyString(r), r.count]))).toEqual(
      await rollupCounts(store),
    );
  });

  it('tells a reader that fell behind the pruning, and not one that kept up', async () => {
    const h = harness();
    const store = await h.open();
    const behind = store.rollupFeed();
    const upToDate = store.rollupFeed();
    await behind.read([]);
    await upToDate.read([]);
    await store.upsertBoot(bootReport(), T0);
    await store.upsertBoot(bootReport({ instanceId: 'i-0000000000000002', bootId: 'b2' }), T0);
    expect(await changes(upToDate)).toHaveLength(2);
    await settled(h);
    expect(await changes(upToDate)).toEqual([]); // read once more, past the writers: kept up
    expect(await store.pruneChanges(T0 + 1)).toBe(2);
    expect(await store.pruneChanges(T0 + 1)).toBe(0);
    expect(await behind.read([])).toEqual({ lost: true });
    expect(await changes(upToDate)).toEqual([]);
    // A new reader starts after the pruning, and later changes reach every reader.
    const fresh = store.rollupFeed();
    await fresh.read([]);
    await store.upsertBoot(bootReport({ instanceId: 'i-0000000000000003', bootId: 'b3' }), T0 + 5);
    expect(await changes(fresh)).toHaveLength(1);
    expect(await changes(upToDate)).toHaveLength(1);
    // Rows recorded since the cut-off stay.
    expect(await store.pruneChanges(T0 + 1)).toBe(0);
  });

  it('keeps seq values after pruning everything: a reader never misses what comes next', async () => {
    const h = harness();
    const store = await h.open();
    const feed = store.rollupFeed();
    await feed.read([]);
    await store.upsertBoot(bootReport(), T0);
    expect(await changes(feed)).toHaveLength(1);
    await settled(h);
    expect(await changes(feed)).toEqual([]);
    expect(await store.pruneChanges(T0 + 1)).toBe(1);
    await store.upsertBoot(bootReport({ instanceId: 'i-0000000000000002', bootId: 'b2' }), T0 + 5);
    expect(await changes(feed)).toHaveLength(1);
  });

  it.runIf(engine === 'postgres')(
    'reads two transactions committed out of their order each exactly once',
    async () => {
      const h = harness();
      const store = await h.open();
      const feed = store.rollupFeed();
      await feed.read([]);
      const insert = `INSERT INTO rollup_changes (minute_ms, ami_id, ami_version, region, asg,
          instance_type, outcome, reason, sign, ttr_seconds, at_ms)
        VALUES ($1, 'ami-1', $2, 'us-east-1', '', 'm5.large', 'success', 'none', 1, 40, $1)`;
      const a = new pg.Client({ connectionString: h.url });
      const b = new pg.Client({ connectionString: h.url });
      await a.connect();
      await b.connect();
      try {
        // A takes the lower transaction id and sequence value, B the higher; B commits first.
        await a.query('BEGIN');
        await a.query(insert, [T0, 'from-a']);
        await b.query('BEGIN');
        await b.query(insert, [T0, 'from-b']);
        const ids = await Promise.all(
          [a, b].map(async (c) =>
            BigInt((await c.query('SELECT pg_current_xact_id()::text AS x')).rows[0].x),
          ),
        );
        expect(ids[0]! < ids[1]!).toBe(true);
        await b.query('COMMIT');
        expect((await changes(feed)).map((c) => c[0])).toEqual(['from-b']);
        await a.query('COMMIT');
        // A "seq > last seen" reader would skip A's row for ever: B's seq is above it.
        expect((await changes(feed)).map((c) => c[0])).toEqual(['from-a']);
        expect(await changes(feed)).toEqual([]);
        // A rolled back transaction is never read.
        await a.query('BEGIN');
        await a.query(insert, [T0, 'rolled-back']);
        await a.query('ROLLBACK');
        expect(await changes(feed)).toEqual([]);
      } finally {
        await a.end();
        await b.end();
      }
    },
  );

  it.runIf(engine === 'postgres')(
    'reads the rollups and the changes of one snapshot, whatever commits between statements',
    async () => {
      const h = harness();
      const store = await h.open();
      const client = new pg.Client({ connectionString: PgUrl });
      await client.connect();
      try {
        // pg_current_snapshot() inside REPEATABLE READ is the transaction's snapshot: a commit
        // elsewhere after the first statement does not move it.
        await client.query(`SET search_path = ${h.location}`);
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const before = (await client.query('SELECT pg_current_snapshot()::text AS s')).rows[0].s;
        await store.upsertBoot(bootReport(), T0);
        const after = (await client.query('SELECT pg_current_snapshot()::text AS s')).rows[0].s;
        const counted = (await client.query('SELECT count(*)::int AS n FROM rollups')).rows[0].n;
        await client.query('COMMIT');
        expect(after).toBe(before);
        expect(counted).toBe(0);
      } finally {
        await client.end();
      }
    },
  );
});

const HourMs = 3_600_000;
