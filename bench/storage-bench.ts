// What the store keeps per boot, per event and per instance heartbeating, on each engine: rows
// written through the store as the collector writes them (batches of concurrent reports), then
// bytes on disk per row (PostgreSQL: table + indexes + TOAST; SQLite: the file after a checkpoint)
// and, on PostgreSQL, bytes of WAL per boot and per heartbeat (the least over repeated batches:
// other databases of the same server can only add to it). docs/scaling.md sizes fleets from these.
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Heartbeat, InstanceEvent } from '../collector/model.js';
import { openStore } from '../collector/store/open-store.js';
import type { Store } from '../collector/store/store.js';
import { bootReport } from '../test/support/stores.js';
import { benchStore, closeStore, type BenchStore } from './bench-store.js';
import { instanceIdOf } from './otlp-bodies.js';

export interface StorageFigures {
  engine: 'sqlite' | 'postgres';
  boots: number;
  /** Bytes on disk per row, by table (indexes included). */
  bytesPerRow: Record<string, number>;
  /** PostgreSQL: WAL bytes per boot (its change feed, rollup and counters included). */
  walPerBoot: number | null;
  /** PostgreSQL: WAL bytes per heartbeat written (its row rewritten). */
  walPerHeartbeat: number | null;
  /**
   * PostgreSQL: WAL bytes per heartbeat received from agents heartbeating every minute, with the
   * collector's refresh (half the default 5 min window): most write nothing.
   */
  walPerHeartbeatReceived: number | null;
}

const Batch = 100;
/** The collector's heartbeat refresh with the default window (5 min / 2). */
const Refresh = 150_000;
const Tables = ['boots', 'events', 'launches', 'heartbeats', 'rollup_changes', 'rollups'];

function event(n: number, kind: InstanceEvent['kind'], atMs: number): InstanceEvent {
  return {
    eventId: `${kind}-${n}`,
    kind,
    instanceId: instanceIdOf(n),
    atMs,
    source: 'aws.ec2',
    detailType: 'EC2 Instance State-change Notification',
    region: 'eu-west-1',
    accountId: '123456789012',
    amiId: 'ami-0abc1234def567890',
    instanceType: 'm7i.large',
    availabilityZone: 'eu-west-1a',
    asg: 'web-asg',
  };
}

function beat(n: number, atMs: number): Heartbeat {
  return {
    instanceId: instanceIdOf(n),
    amiId: 'ami-0abc1234def567890',
    amiVersion: '1.4.0',
    region: 'eu-west-1',
    asg: 'web-asg',
    atMs,
  };
}

/** Boots from..from+count, in batches of concurrent reports, a minute of launches apart. */
async function writeBoots(store: Store, from: number, count: number, now: number): Promise<void> {
  for (let i = from; i < from + count; i += Batch) {
    await Promise.all(
      Array.from({ length: Math.min(Batch, from + count - i) }, (_, j) => {
        const n = i + j;
        return store.upsertBoot(
          bootReport({
            instanceId: instanceIdOf(n),
            bootId: `boot-${instanceIdOf(n)}`,
            launchedAt: new Date(now - 3_600_000 + (n % 3600) * 1000).toISOString(),
            timeToReadySeconds: 30 + (n % 90),
          }),
          now,
        );
      }),
    );
  }
}

async function pgBytes(s: BenchStore): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: s.spec });
  await c.connect();
  try {
    const out: Record<string, number> = {};
    for (const t of Tables) {
      // VACUUM so that dead rows (updated heartbeats, pruned feed rows) count no more.
      await c.query(`VACUUM ${t}`);
      const r = await c.query<{ bytes: string; n: string }>(
        `SELECT pg_total_relation_size('${t}') AS bytes, (SELECT count(*) FROM ${t}) AS n`,
      );
      const row = r.rows[0];
      if (row !== undefined && Number(row.n) > 0) out[t] = Number(row.bytes) / Number(row.n);
    }
    return out;
  } finally {
    await c.end();
  }
}

/** The least WAL a write made over `rounds` tries (other databases only add to the figure). */
async function leastWal(
  s: BenchStore,
  rounds: number,
  write: () => Promise<number>,
): Promise<number> {
  const c = new pg.Client({ connectionString: s.spec });
  await c.connect();
  try {
    let least = Infinity;
    for (let i = 0; i < rounds; i++) {
      const lsn = async () =>
        (await c.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]!.l;
      const before = await lsn();
      const rows = await write();
      const after = await lsn();
      const r = await c.query<{ d: string }>(`SELECT pg_wal_lsn_diff($1, $2) AS d`, [
        after,
        before,
      ]);
      least = Math.min(least, Number(r.rows[0]!.d) / rows);
    }
    return least;
  } finally {
    await c.end();
  }
}

export async function benchStorage(
  engine: 'sqlite' | 'postgres',
  boots: number,
): Promise<StorageFigures | null> {
  const s = await benchStore(engine, 'bw_storage');
  if (s === null) return null;
  const now = Date.now();
  let store: Store | null = await openStore(s.spec, {
    replicaId: 'bench-storage',
    heartbeatRefreshMs: Refresh,
  });
  try {
    // Per boot: its launch (pending, running, terminated: the three events EC2 sends), the boot,
    // a heartbeat of its instance; then the feed pruned, as the sweeper does after 15 minutes.
    for (let i = 0; i < boots; i += 1000) {
      const n = Math.min(1000, boots - i);
      const ids = Array.from({ length: n }, (_, j) => i + j);
      await store.recordEvents(
        ids.flatMap((k) => [
          event(k, 'launched', now - 3_700_000),
          event(k, 'running', now - 3_690_000),
        ]),
        now,
      );
      await store.recordHeartbeats(ids.map((k) => beat(k, now)));
    }
    await writeBoots(store, 0, boots, now);
    let walPerBoot: number | null = null;
    let walPerHeartbeat: number | null = null;
    let walPerHeartbeatReceived: number | null = null;
    if (engine === 'postgres') {
      let next = boots;
      walPerBoot = await leastWal(s, 5, async () => {
        await writeBoots(store!, next, Batch, now);
        next += Batch;
        return Batch;
      });
      let at = now + Refresh;
      walPerHeartbeat = await leastWal(s, 5, async () => {
        const batch = Array.from({ length: 1000 }, (_, k) => beat(k, at));
        at += Refresh;
        await store!.recordHeartbeats(batch);
        return batch.length;
      });
      walPerHeartbeatReceived = await leastWal(s, 3, async () => {
        for (let minute = 0; minute < 10; minute++) {
          at += 60_000;
          await store!.recordHeartbeats(Array.from({ length: 1000 }, (_, k) => beat(k, at)));
        }
        return 10_000;
      });
    }
    await store.pruneChanges(now + 1);
    await closeStore(store);
    store = null;
    const bytesPerRow = engine === 'postgres' ? await pgBytes(s) : sqliteBytes(s.spec);
    return { engine, boots, bytesPerRow, walPerBoot, walPerHeartbeat, walPerHeartbeatReceived };
  } finally {
    if (store !== null) await closeStore(store);
    await s.drop();
  }
}

/** SQLite: each table's bytes (with its indexes) from the dbstat table, per row. */
function sqliteBytes(path: string): Record<string, number> {
  const db = new Database(path);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('VACUUM');
    const out: Record<string, number> = {};
    for (const t of Tables) {
      const n = Number((db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n);
      if (n === 0) continue;
      const names = [
        t,
        ...(
          db
            .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`)
            .all(t) as {
            name: string;
          }[]
        ).map((x) => x.name),
      ];
      const bytes = names.reduce(
        (sum, name) =>
          sum +
          Number(
            (
              db.prepare(`SELECT sum(pgsize) AS b FROM dbstat WHERE name = ?`).get(name) as {
                b: number | null;
              }
            ).b ?? 0,
          ),
        0,
      );
      out[t] = bytes / n;
    }
    return out;
  } finally {
    db.close();
  }
}
