// The embedded engine: one SQLite file through better-sqlite3. Its calls are synchronous, so a
// write's reads, plan and writes all run inside one `BEGIN IMMEDIATE` transaction with no await in
// between; the async methods only wrap the result. Boot reports are group-committed: those that
// arrive in one turn of the event loop share a transaction (group-commit.ts), as do events and
// heartbeats, and WAL checkpoints
// run in a worker thread (sqlite-checkpointer.ts), so that neither stalls ingest.
//
// Durability: WAL with synchronous=NORMAL by default. A commit is in the WAL (in the OS page cache)
// before its promise resolves, so an acknowledged boot survives kill -9 of the collector; only a
// power loss or OS crash can lose the last commits, and NORMAL spares one fsync per commit, which
// is most of the cost of a write. `synchronous: 'full'` fsyncs each commit for those who need the
// latter.
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { BootReport } from '../../shared/boot-report.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { makeDirs } from '../../shared/make-dirs.js';
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
import { latestHeartbeats } from './heartbeats.js';
import { publicLaunch } from './launch-merge.js';
import { RollupBucketCount } from './rollup-math.js';
import {
  assertBucketLayout,
  imageValues,
  ms,
  rowToBoot,
  rowToGroup,
  rowToImage,
  rowToLaunch,
  valuesToRollup,
  type Row,
} from './rows.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { pruneSqliteChanges, SqliteFeed } from './sqlite-feed.js';
import { SqliteRollouts } from './sqlite-rollouts.js';
import { launchSightingsSql, sightingsOf } from './launch-sightings.js';
import type { LaunchSighting } from '../rollouts/detect.js';
import { SqliteScans } from './sqlite-scans.js';
import { SqliteMigrations } from './sqlite-schema.js';
import { bind, prepareStatements, type SqliteStatements } from './sqlite-statements.js';
import { writeBoots, writeEvents, writeSweep, type SqliteWriter } from './sqlite-writes.js';
import { openError, writeError } from './store-errors.js';
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

export const DefaultSqlitePath = './data/bootwatch.db';

export interface SqliteStoreOptions {
  /** File path, or ':memory:' (tests). The folder is created. */
  path: string;
  replicaId: string;
  clock?: Clock;
  synchronous?: 'normal' | 'full';
  /** How long a write waits for another process's write lock, ms. */
  busyTimeoutMs?: number;
  /**
   * A heartbeat less than this after the one stored for its instance writes nothing (0: every
   * heartbeat is written). The collector uses half its heartbeat window: see heartbeats.ts.
   */
  heartbeatRefreshMs?: number;
}

/** Boot reports per transaction at most (group commit); bounds how long one write holds the lock. */
export const SqliteMaxBatch = 256;
/**
 * Turns of the event loop a batch of boot reports waits while more keep arriving (group-commit.ts:
 * none when nothing more arrives, so an idle collector adds no latency). A commit and the rows a
 * batch shares (rollups, counters) cost the same for one report or many; under load, two turns
 * make batches of a few requests instead of one or two. Paired runs on one machine (bench/,
 * sqlite json/16 and protobuf/64, twice each): 0.52 and 0.57 against 0.48 and 0.54 (json), 0.61
 * and 0.59 against 0.52 and 0.39 (protobuf) of the decode-only server; four turns was no better.
 */
export const SqliteLingerTurns = 2;
/** Requests' heartbeats per transaction at most (a row each). */
export const SqliteMaxHeartbeatBatch = 1000;

export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly scans: SqliteScans;
  readonly rollouts: SqliteRollouts;
  private readonly db: Database.Database;
  private sightings: Database.Statement | null = null;
  private readonly replicaId: string;
  private readonly clock: Clock;
  private written = 0;
  private readonly tx: Database.Transaction<(fn: () => unknown) => unknown>;
  private prepared: SqliteStatements | null = null;
  private readonly checkpointer: SqliteCheckpointer | null = null;
  /**
   * Reports that arrive together are written in one transaction: a commit appends to the WAL
   * once for the batch, and the counter and rollup rows the batch shares are written once.
   */
  private readonly boots = new GroupCommit<StoredBoot, UpsertBootResult>({
    maxBatch: SqliteMaxBatch,
    concurrency: 1,
    lingerTurns: SqliteLingerTurns,
    keyOf: (b) => b.instanceId,
    write: async (batch) =>
      this.counted(
        this.write(
          batch.length === 1 ? 'storing a boot report' : `storing ${batch.length} boot reports`,
          () => writeBoots(this.writer, batch),
        ),
      ),
  });

  /** Requests' events, one after the other in one transaction. */
  private readonly events = new GroupCommit<EventWrite, EventsWritten>({
    maxBatch: SqliteMaxBatch,
    concurrency: 1,
    write: async (batch) =>
      this.write('recording events', () =>
        batch.map((e) => writeEvents(this.writer, e.events, e.receivedAtMs)),
      ),
  });

  /** Requests' heartbeats: the latest of each instance, in one transaction. */
  private readonly beats = new GroupCommit<Heartbeat[], void>({
    maxBatch: SqliteMaxHeartbeatBatch,
    concurrency: 1,
    write: async (batch) => {
      const refresh = Math.round(this.options.heartbeatRefreshMs ?? 0);
      this.write('recording heartbeats', () => {
        for (const b of latestHeartbeats(batch.flat())) {
          this.q.putHeartbeat.run(
            b.instanceId,
            b.amiId,
            b.amiVersion,
            b.region,
            b.asg,
            b.atMs,
            refresh,
          );
        }
      });
      return batch.map(() => undefined);
    },
  });

  constructor(private readonly options: SqliteStoreOptions) {
    assertBucketLayout(RollupBucketCount);
    assertCounterLayout();
    this.replicaId = options.replicaId;
    this.clock = options.clock ?? systemClock;
    try {
      if (options.path !== ':memory:') makeDirs(dirname(options.path));
      this.db = new Database(options.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 5000);
      this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      this.db.pragma('foreign_keys = ON');
      // A file other connections can open (not ':memory:', not '' for a private temporary file).
      if (options.path !== ':memory:' && options.path !== '') {
        this.checkpointer = new SqliteCheckpointer(this.db, options.path, busyTimeoutMs);
      }
    } catch (e) {
      throw openError(options.path, e);
    }
    this.tx = this.db.transaction((fn: () => unknown) => fn());
    this.scans = new SqliteScans(this.db, (what, fn) => this.write(what, fn));
    this.rollouts = new SqliteRollouts(
      this.db,
      (what, fn) => this.write(what, fn),
      () => new SqliteFeed(this.db, () => this.q),
    );
  }

  /** One immediate transaction: it takes the write lock first, so it never fails half-way on it. */
  private write<T>(what: string, fn: () => T): T {
    let result: T;
    try {
      result = this.tx.immediate(fn) as T;
    } catch (e) {
      throw writeError(what, e);
    }
    this.checkpointer?.committed();
    return result;
  }

  private get q(): SqliteStatements {
    this.prepared ??= prepareStatements(this.db);
    return this.prepared;
  }

  async migrate(): Promise<void> {
    try {
      this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT`);
      const applied = this.db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
      const record = this.db.prepare(
        'INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)',
      );
      for (const m of SqliteMigrations) {
        this.tx.immediate(() => {
          if (applied.get(m.version) !== undefined) return; // checked under the lock: another process may have won
          for (const statement of m.statements) this.db.exec(statement);
          record.run(m.version, m.name, this.clock.now());
        });
      }
      this.prepared = prepareStatements(this.db);
    } catch (e) {
      throw openError(this.options.path, e);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.boots.idle(), this.events.idle(), this.beats.idle()]);
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  private get writer(): SqliteWriter {
    return { q: this.q, replicaId: this.replicaId };
  }

  async upsertBoot(report: BootReport, receivedAtMs: number): Promise<UpsertBootResult> {
    return this.boots.submit(storedBoot(report, 'agent', receivedAtMs));
  }

  async recordEvents(events: InstanceEvent[], receivedAtMs: number): Promise<EventsWritten> {
    return this.events.submit({ events, receivedAtMs });
  }

  async recordHeartbeats(beats: Heartbeat[]): Promise<void> {
    if (beats.length > 0) await this.beats.submit(beats);
  }

  async coverage(sinceMs: number): Promise<{ running: number; heartbeating: number }> {
    const row = this.q.coverage.get(ms(sinceMs)) as Row;
    return { running: Number(row.running), heartbeating: Number(row.heartbeating) };
  }

  async upsertImage(image: ImageRecord): Promise<void> {
    this.write('registering an image', () => this.q.putImage.run(bind(imageValues(image))));
  }

  async getImage(amiId: string): Promise<ImageRecord | null> {
    const row = this.q.getImage.get(amiId) as Row | undefined;
    return row === undefined ? null : rowToImage(row);
  }

  async listImages(): Promise<ImageRecord[]> {
    return (this.q.listImages.all() as Row[]).map(rowToImage);
  }

  async sweep(nowMs: number, deadlineMs: number): Promise<UpsertBootResult[]> {
    return this.counted(
      this.write('sweeping unreported launches', () => writeSweep(this.writer, nowMs, deadlineMs)),
    );
  }

  async launchSightings(sinceMs: number): Promise<LaunchSighting[]> {
    this.sightings ??= this.db.prepare(
      launchSightingsSql({ since: '@since', true: '1', notReported: 'l.reported = 0' }),
    );
    return sightingsOf(this.sightings.all({ since: ms(sinceMs) }) as Row[]);
  }

  async getLaunch(instanceId: string): Promise<StoredLaunch | null> {
    const row = this.q.getLaunch.get(instanceId) as Row | undefined;
    return row === undefined ? null : publicLaunch(rowToLaunch(row));
  }

  async getBoots(instanceId: string): Promise<StoredBoot[]> {
    return (this.q.getBoots.all(instanceId) as Row[]).map(rowToBoot);
  }

  async queryBoots(query: BootQuery): Promise<BootPage> {
    const rows = this.q.queryBoots.all(bootPageParams(query)) as Row[];
    return bootPage(rows, query);
  }

  rollupFeed(): RollupFeed {
    return new SqliteFeed(this.db, () => this.q);
  }

  async pruneChanges(beforeMs: number): Promise<number> {
    return this.write('pruning the change feed', () => pruneSqliteChanges(this.q, beforeMs));
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
    const rows = this.q.rollups.all(ms(query.fromMs), ms(query.toMs)) as unknown[][];
    return rows.map(valuesToRollup);
  }

  async badRollups(query: RollupQuery, slowAbove: number): Promise<RollupRow[]> {
    const rows = this.q.badRollups.all({
      from: ms(query.fromMs),
      to: ms(query.toMs),
      slowAbove,
    }) as unknown[][];
    return rows.map(valuesToRollup);
  }

  async groups(sinceMs: number): Promise<GroupKey[]> {
    return (this.q.groups.all(ms(sinceMs)) as Row[]).map(rowToGroup);
  }

  async loadCounters(): Promise<CounterDelta[]> {
    return loadedCounters(this.q.loadCounters.all(this.replicaId) as Row[]);
  }

  async pruneBoots(beforeMs: number): Promise<number> {
    const before = ms(beforeMs);
    return this.write('pruning old boots', () => {
      const deleted = this.q.pruneBoots.run(before).changes;
      this.q.pruneHeartbeats.run(before); // before the launches that tell which ended
      this.q.pruneLaunches.run(before);
      this.q.pruneEvents.run(before);
      return deleted;
    });
  }
}
