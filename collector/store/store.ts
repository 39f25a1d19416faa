// The store: one interface, two engines (sqlite-store.ts, pg-store.ts). Every method that writes
// does so in one transaction: a crash or an error leaves nothing half-written.
import type { BootReport } from '../../shared/boot-report.js';
import type {
  GroupKey,
  Heartbeat,
  ImageRecord,
  InstanceEvent,
  Launch,
  RollupRow,
  StoredBoot,
} from '../model.js';
import type { RollupChange } from './rollup-math.js';

export type { RollupChange } from './rollup-math.js';
import type { LaunchSighting } from '../rollouts/detect.js';
import type { RolloutStore } from './rollout-store.js';
import type { ScanStore } from './scan-store.js';

/**
 * A change to one exported counter or histogram under one label set, applied by the caller after
 * commit (loadCounters returns the totals in the same form, as changes from zero). Never
 * negative: counters never go down. A correction (a late report replacing a `no_report`) adds 1
 * to bootwatch_boots_retracted_total with the old labels and 1 to bootwatch_boots_total with the
 * new ones, so that PromQL computes launches as boots_total - boots_retracted_total.
 */
export type CounterDelta = CounterIncrement | HistogramDelta;

interface SeriesOf {
  /** Prometheus metric name of the family (CounterFamilies in counter-families.ts). */
  family: string;
  /** Label values, in the order the family lists its label names. */
  labels: readonly string[];
  /** seriesKey(labels): made once, the key of the series in storage and on /metrics. */
  key: string;
}

export interface CounterIncrement extends SeriesOf {
  kind: 'counter';
  value: number;
}

export interface HistogramDelta extends SeriesOf {
  kind: 'histogram';
  /**
   * Observations per bucket, not cumulative: one entry per bound, then +Inf. `_count` is their
   * total; the cumulative `le` series are made when /metrics is scraped. Value 42 with bounds
   * [30, 60]: buckets [0, 1, 0], sum 42 -> le="30" 0, le="60" 1, le="+Inf" 1, _count 1.
   */
  buckets: readonly number[];
  sum: number;
}

/** A launch as stored, with what the sweeper needs besides the Launch facts. */
export interface StoredLaunch extends Launch {
  /** When the sweeper charged this launch as a failed boot; null while undecided. */
  decidedAtMs: number | null;
  /** Auto Scaling's StatusMessage or cause, for a failed launch. */
  statusMessage: string | null;
}

export interface UpsertBootResult {
  /** inserted: new boot; updated: the same boot with other values (a correction); unchanged: a repeat. */
  status: 'inserted' | 'updated' | 'unchanged';
  /** The record as stored after the write. */
  boot: StoredBoot;
  /** The counter increments this write caused, already persisted for this replica. */
  counters: CounterDelta[];
}

/** What recording a request's events did: the events that were new, and the launches they counted. */
export interface EventsWritten {
  fresh: InstanceEvent[];
  counters: CounterDelta[];
}

/** One request's events, as the engines batch them with other requests' (group-commit.ts). */
export interface EventWrite {
  events: InstanceEvent[];
  receivedAtMs: number;
}

export interface BootQuery {
  amiVersion?: string;
  outcome?: string;
  reason?: string;
  /** epoch ms, on outcome time */
  sinceMs?: number;
  limit: number;
  /** opaque cursor from a previous page */
  cursor?: string;
}

export interface BootPage {
  boots: StoredBoot[];
  nextCursor: string | null;
}

export interface RollupQuery {
  fromMs: number; // inclusive, minute-aligned
  toMs: number; // exclusive
}

/** What one read of the change feed gives: see RollupFeed. */
export type FeedRead =
  | { lost: false; rows: RollupRow[]; changes: RollupChange[] }
  /** Changes this reader had not read yet were pruned: start again with a new feed and a load. */
  | { lost: true };

/**
 * A reader of the rollups and of their change feed that keeps the two consistent: every read
 * returns the rollup rows of the ranges asked for and every change committed since this reader's
 * previous read (none at its first), both as of one snapshot of the store. So a reader that
 * applies the changes to what it read before and then reads more rows never counts a boot twice
 * or misses one, whatever commits meanwhile, on this replica or another. Each change is returned
 * once, in an order that does not matter (applying changes is adding).
 */
export interface RollupFeed {
  read(ranges: readonly RollupQuery[]): Promise<FeedRead>;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  /**
   * Boots this process has written so that a rollup changed (inserted or corrected), since it
   * opened the store: when it moved, the feed has news for this replica's SLO engine.
   */
  readonly changesWritten: number;
  /** Image scans: scan-store.ts. */
  readonly scans: ScanStore;
  /** Rollouts and their last verdicts: rollout-store.ts. */
  readonly rollouts: RolloutStore;

  /** Creates or migrates the schema; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Inserts or updates a boot keyed by (instanceId, bootId), with its rollup contribution moved
   * from the old minute/outcome to the new one, and the launch marked reported. A first-boot report
   * replaces a collector-decided failure (no_report, terminated_before_ready) of the same instance.
   */
  upsertBoot(report: BootReport, receivedAtMs: number): Promise<UpsertBootResult>;

  /**
   * Records events, deduplicated by eventId, merged into launches by instance id. Returns the
   * events that were new and the counter increments they caused (bootwatch_launches_total).
   */
  recordEvents(events: InstanceEvent[], receivedAtMs: number): Promise<EventsWritten>;

  /**
   * Agent heartbeats (coverage): only the latest time of each instance is kept, one row per
   * instance, so that coverage costs the same after a day or a year of heartbeats.
   */
  recordHeartbeats(beats: Heartbeat[]): Promise<void>;
  /** Instances running (launched, not terminated) and, of those, heartbeating since `sinceMs`. */
  coverage(sinceMs: number): Promise<{ running: number; heartbeating: number }>;

  /** Registers an AMI (the bake pipeline's registry wins over what agents said). */
  upsertImage(image: ImageRecord): Promise<void>;
  getImage(amiId: string): Promise<ImageRecord | null>;
  listImages(): Promise<ImageRecord[]>;

  /**
   * The sweeper: launches with no report `deadlineMs` after launch become `no_report` failures;
   * launches terminated before ready become `terminated_before_ready`. Returns what it decided.
   * Runs under a lock so that one sweeper at a time works across replicas (PostgreSQL: advisory lock).
   */
  sweep(nowMs: number, deadlineMs: number): Promise<UpsertBootResult[]>;

  /**
   * The launch, or null when none is known. An instance seen only terminating (events arrive in
   * any order) has no launch time yet, so it is null too until its launch event arrives.
   */
  getLaunch(instanceId: string): Promise<StoredLaunch | null>;
  getBoots(instanceId: string): Promise<StoredBoot[]>;
  /**
   * Launches into Auto Scaling groups at or after `sinceMs`, with their AMI version (the agent's,
   * else the image registry's, else 'unknown'): the rollout detector's input (launch-sightings.ts).
   */
  launchSightings(sinceMs: number): Promise<LaunchSighting[]>;
  queryBoots(query: BootQuery): Promise<BootPage>;

  /** A new reader of the rollups and their change feed, positioned at its first read. */
  rollupFeed(): RollupFeed;
  /**
   * Deletes change feed rows recorded before `beforeMs`. A reader that had not read them yet
   * learns it at its next read (lost). Returns the rows deleted.
   */
  pruneChanges(beforeMs: number): Promise<number>;

  /** Rollup rows (first boots only) in a time range. */
  rollups(query: RollupQuery): Promise<RollupRow[]>;
  /**
   * The rollup rows of a range that hold a bad boot: a failure, or a success whose time to ready
   * fell in a bucket above index `slowAbove` (TimeToReadyBuckets; the bucket count or more: none).
   * Where alerting groups fail: read every evaluation, so it leaves the good rows in the store.
   */
  badRollups(query: RollupQuery, slowAbove: number): Promise<RollupRow[]>;
  /** Distinct groups that have rollups since `sinceMs`. */
  groups(sinceMs: number): Promise<GroupKey[]>;

  /** This replica's persisted counter values, to rebuild /metrics after a restart. */
  loadCounters(): Promise<CounterDelta[]>;

  /**
   * Deletes raw boots whose outcome time is older than `beforeMs`, and with them the raw facts
   * of the same age: settled launches that ended (terminated or failed, reported or decided),
   * seen event ids, heartbeats; and the heartbeats of instances that ended, whatever their age
   * (coverage counts running instances only). Rollups and counters are kept. Returns the boots
   * deleted.
   */
  pruneBoots(beforeMs: number): Promise<number>;
}
