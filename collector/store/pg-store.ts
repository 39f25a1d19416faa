// The replicated engine: PostgreSQL through a pg Pool, for several collectors behind a load
// balancer. Same semantics as the SQLite store; what replicas need on top:
// - migrations under an advisory lock, so replicas starting together migrate once;
// - every write about an instance under that instance's advisory lock, so a report, its events
//   and the sweeper never interleave on one instance;
// - writes batched across requests (group commit), a batch of boot reports or heartbeats in one
//   statement: one round trip, whatever the batch size;
// - sweep() under a try-lock: one sweeper at a time, the others return [] at once;
// - shared rows (rollups, counters) updated in one sorted order, so writers do not deadlock.
import pg from 'pg';
import type { BootReport } from '../../shared/boot-report.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { BootwatchError } from '../../shared/errors.js';
import type {
  GroupKey,
  Heartbeat,
  ImageRecord,
  InstanceEvent,
  RollupRow,
  StoredBoot,
} from '../model.js';
import { storedBoot } from './boot-plan.js';
import { assertCounterLayout } from './counter-families.js';
import { loadedCounters } from './counter-storage.js';
import { bootPage, bootPageParams } from './cursor.js';
import { GroupCommit } from './group-commit.js';
import { publicLaunch } from './launch-merge.js';
import { PgFeed } from './pg-feed.js';
import { PgRollouts } from './pg-rollouts.js';
import { launchSightingsSql, sightingsOf } from './launch-sightings.js';
import type { LaunchSighting } from '../rollouts/detect.js';

const SightingsSql = {
  name: 'bw_launch_sightings',
  text: launchSightingsSql({
    since: '$1::bigint',
    true: 'true',
    notReported: 'NOT l.reported',
  }),
};
import { PgScans } from './pg-scans.js';
import { PgMigrations } from './pg-schema.js';
import { MigrateLockId, Sql } from './pg-sql.js';
import { inTransaction, retried, run, type Db } from './pg-tx.js';
import { putHeartbeats, writeEvents } from './pg-events.js';
import { writeBoots, writeSweep } from './pg-writes.js';
import { RollupBucketCount } from './rollup-math.js';
import {
  assertBucketLayout,
  imageValues,
  ms,
  rowToBoot,
  rowToGroup,
  rowToImage,
  rowToLaunch,
  rowToRollup,
} from './rows.js';
import { maskSpec, openError, writeError } from './store-errors.js';
import type {
  BootPage,
  BootQuery,
  CounterDelta,
  EventsWritten,
  EventWrite,
  RollupFeed,
  RollupQuery,
  Store,
  StoredLaunch,
  UpsertBootResult,
} from './store.js';

export interface PgStoreOptions {
  connectionString: string;
  replicaId: string;
  clock?: Clock;
  /** A schema to create and use (search_path) instead of the URL's default. */
  schema?: string;
  poolSize?: number;
  /**
   * A heartbeat less than this after the one stored for its instance writes nothing (0: every
   * heartbeat is written). The collector uses half its heartbeat window: see heartbeats.ts.
   */
  heartbeatRefreshMs?: number;
}

const SchemaName = /^[a-z_][a-z0-9_]{0,62}$/;

/** Boot reports per transaction at most (group commit), and transactions of them in flight. */
export const PgMaxBatch = 128;
export const PgBatchConcurrency = 2;
/**
 * Turns of the event loop a batch waits while reports keep arriving: a call costs about half a
 * millisecond of the server's time whatever its size, plus about 40 µs a report, so batches of
 * 16 rather than 5 halve what PostgreSQL spends per report (measured, bench/).
 */
export const PgLingerTurns = 4;
/** Requests' heartbeats per statement at most: a row each, 100,000 agents make 1,700 a second. */
export const PgMaxHeartbeatBatch = 1000;

export class PgStore implements Store {
  readonly engine = 'postgres' as const;
  readonly scans: PgScans;
  readonly rollouts: PgRollouts;
  private readonly pool: pg.Pool;
  private readonly replicaId: string;
  private readonly clock: Clock;
  private written = 0;
  private readonly boots: GroupCommit<StoredBoot, UpsertBootResult>;
  private readonly events: GroupCommit<EventWrite, EventsWritten>;
  private readonly beats: GroupCommit<Heartbeat[], void>;

  constructor(private readonly options: PgStoreOptions) {
    assertBucketLayout(RollupBucketCount);
    assertCounterLayout();
    if (options.schema !== undefined && !SchemaName.test(options.schema)) {
      throw new BootwatchError(
        'BW_STORE_OPEN',
        `schema ${JSON.stringify(options.schema)} is not a plain lower-case identifier`,
      );
    }
    this.replicaId = options.replicaId;
    this.clock = options.clock ?? systemClock;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 10_000,
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    });
    // An idle client's error (a server restart) must not crash the collector: the pool drops
    // that client, and the next query connects anew or fails with its own error.
    this.pool.on('error', () => undefined);
    this.scans = new PgScans(this.pool, (what, fn) => this.write(what, fn));
    this.rollouts = new PgRollouts(this.pool, (what, fn) => this.write(what, fn));
    // Reports that arrive while transactions are in flight share the next one: a batch costs the
    // same round trips as one report, so few batches in flight make large batches. Two, so that
    // one waiting on an instance lock (a sweep, another replica) does not hold up all ingest.
    const poolSize = options.poolSize ?? 10;
    const concurrency = Math.max(1, Math.min(PgBatchConcurrency, poolSize - 1));
    this.boots = new GroupCommit<StoredBoot, UpsertBootResult>({
      maxBatch: PgMaxBatch,
      concurrency,
      keyOf: (b) => b.instanceId,
      lingerTurns: PgLingerTurns,
      write: async (batch) =>
        this.counted(
          await this.statement(
            batch.length === 1 ? 'storing a boot report' : `storing ${batch.length} boot reports`,
            () => writeBoots(this.pool, this.replicaId, batch),
          ),
        ),
    });
    // Events and heartbeats of concurrent requests share a transaction too. Their writes merge
    // whatever the order (later facts win, the latest heartbeat wins), so they need no key.
    this.events = new GroupCommit<EventWrite, EventsWritten>({
      maxBatch: PgMaxBatch,
      concurrency,
      write: (batch) =>
        this.write('recording events', (db) => writeEvents(db, this.replicaId, batch)),
    });
    this.beats = new GroupCommit<Heartbeat[], void>({
      maxBatch: PgMaxHeartbeatBatch,
      concurrency,
      write: async (batch) => {
        await this.statement('recording heartbeats', () =>
          putHeartbeats(this.pool, batch.flat(), options.heartbeatRefreshMs ?? 0),
        );
        return batch.map(() => undefined);
      },
    });
  }

  /** A write of statements that are each a transaction of their own (no BEGIN, no COMMIT). */
  private async statement<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await retried(fn);
    } catch (e) {
      throw writeError(what, e);
    }
  }

  private async write<T>(what: string, fn: (db: Db) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.pool, fn);
    } catch (e) {
      throw writeError(what, e);
    }
  }

  async migrate(): Promise<void> {
    try {
      for (const m of PgMigrations) {
        await inTransaction(this.pool, async (db) => {
          await run(db, Sql.lockGlobal, [MigrateLockId]);
          if (this.options.schema !== undefined) {
            await db.query(`CREATE SCHEMA IF NOT EXISTS ${this.options.schema}`);
          }
          await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY, name text NOT NULL, applied_at_ms bigint NOT NULL)`);
          const done = await db.query('SELECT 1 FROM schema_migrations WHERE version = $1', [
            m.version,
          ]);
          if (done.rowCount !== 0) return;
          for (const statement of m.statements) await db.query(statement);
          await db.query(
            'INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)',
            [m.version, m.name, this.clock.now()],
          );
        });
      }
    } catch (e) {
      throw openError(maskSpec(this.options.connectionString), e);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.boots.idle(), this.events.idle(), this.beats.idle()]);
    if (!this.pool.ended) await this.pool.end();
  }

  async upsertBoot(report: BootReport, receivedAtMs: number): Promise<UpsertBootResult> {
    return this.boots.submit(storedBoot(report, 'agent', receivedAtMs));
  }

  async recordEvents(events: InstanceEvent[], receivedAtMs: number): Promise<EventsWritten> {
    if (events.length === 0) return { fresh: [], counters: [] };
    return this.events.submit({ events, receivedAtMs });
  }

  async recordHeartbeats(beats: Heartbeat[]): Promise<void> {
    if (beats.length === 0) return;
    await this.beats.submit(beats);
  }

  async coverage(sinceMs: number): Promise<{ running: number; heartbeating: number }> {
    const [row] = await run(this.pool, Sql.coverage, [ms(sinceMs)]);
    return { running: Number(row?.running ?? 0), heartbeating: Number(row?.heartbeating ?? 0) };
  }

  async upsertImage(image: ImageRecord): Promise<void> {
    await this.write('registering an image', (db) => run(db, Sql.putImage, imageValues(image)));
  }

  async getImage(amiId: string): Promise<ImageRecord | null> {
    const [row] = await run(this.pool, Sql.getImage, [amiId]);
    return row === undefined ? null : rowToImage(row);
  }

  async listImages(): Promise<ImageRecord[]> {
    return (await run(this.pool, Sql.listImages)).map(rowToImage);
  }

  async sweep(nowMs: number, deadlineMs: number): Promise<UpsertBootResult[]> {
    return this.counted(
      await this.write('sweeping unreported launches', (db) =>
        writeSweep(db, this.replicaId, nowMs, deadlineMs),
      ),
    );
  }

  async launchSightings(sinceMs: number): Promise<LaunchSighting[]> {
    return sightingsOf(await run(this.pool, SightingsSql, [ms(sinceMs)]));
  }

  async getLaunch(instanceId: string): Promise<StoredLaunch | null> {
    const [row] = await run(this.pool, Sql.getLaunch, [instanceId]);
    return row === undefined ? null : publicLaunch(rowToLaunch(row));
  }

  async getBoots(instanceId: string): Promise<StoredBoot[]> {
    return (await run(this.pool, Sql.getBoots, [instanceId])).map(rowToBoot);
  }

  async queryBoots(query: BootQuery): Promise<BootPage> {
    const rows = await run(this.pool, Sql.queryBoots, Object.values(bootPageParams(query)));
    return bootPage(rows, query);
  }

  rollupFeed(): RollupFeed {
    return new PgFeed(this.pool);
  }

  async pruneChanges(beforeMs: number): Promise<number> {
    return this.write('pruning the change feed', async (db) => {
      const [row] = await run(db, Sql.pruneChanges, [ms(beforeMs)]);
      return Number(row?.deleted ?? 0);
    });
  }

  get changesWritten(): number {
    return this.written;
  }

  /** Counts the boots a committed write moved (changesWritten). */
  private counted(results: UpsertBootResult[]): UpsertBootResult[] {
    for (const r of results) if (r.status !== 'unchanged') this.written += 1;
    return results;
  }

  async rollups(query: RollupQuery): Promise<RollupRow[]> {
    return (await run(this.pool, Sql.rollups, [ms(query.fromMs), ms(query.toMs)])).map(rowToRollup);
  }

  async badRollups(query: RollupQuery, slowAbove: number): Promise<RollupRow[]> {
    const values = [ms(query.fromMs), ms(query.toMs), slowAbove];
    return (await run(this.pool, Sql.badRollups, values)).map(rowToRollup);
  }

  async groups(sinceMs: number): Promise<GroupKey[]> {
    return (await run(this.pool, Sql.groups, [ms(sinceMs)])).map(rowToGroup);
  }

  async loadCounters(): Promise<CounterDelta[]> {
    return loadedCounters(await run(this.pool, Sql.loadCounters, [this.replicaId]));
  }

  async pruneBoots(beforeMs: number): Promise<number> {
    const before = ms(beforeMs);
    return this.write('pruning old boots', async (db) => {
      const deleted = await db.query({ ...Sql.pruneBoots, values: [before] });
      await run(db, Sql.pruneHeartbeats, [before]); // before the launches that tell which ended
      await run(db, Sql.pruneLaunches, [before]);
      await run(db, Sql.pruneEvents, [before]);
      return deleted.rowCount ?? 0;
    });
  }
}
