// The sweeper: every sweep_interval, launches that stayed silent past the report deadline become
// `no_report` failures and launches terminated before ready become `terminated_before_ready`
// (store.sweep decides, under its lock, so one replica at a time does it); every hour, raw boots
// older than the retention are pruned (rollups stay). Each sweep also prunes the change feed: its
// readers (every replica's SLO engine) read it every evaluation, so a quarter of an hour keeps
// what a reader that missed a few evaluations still needs (one further behind reads everything).
// Every sweep_interval too, when given, the rollout detector reads the groups' launches
// (rollouts/detect-rollouts.ts). A background loop: it catches everything at its top, logs it and
// tries again at the next tick, and never lets a run overlap the previous one.
import type { Clock } from '../shared/clock.js';
import type { CounterDelta, Store } from './store/store.js';

/** Repeating timers, injectable so tests drive the sweeper without waiting. */
export interface Scheduler {
  /** Calls fn every ms milliseconds until the returned cancel function is called. */
  every(ms: number, fn: () => void): () => void;
}

export const timerScheduler: Scheduler = {
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    // The HTTP server keeps the process alive; the sweeper alone must not.
    timer.unref();
    return () => clearInterval(timer);
  },
};

export interface SweepLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SweeperOptions {
  store: Pick<Store, 'sweep' | 'pruneBoots' | 'pruneChanges'>;
  clock: Clock;
  scheduler?: Scheduler;
  sweepIntervalMs: number;
  reportDeadlineMs: number;
  retentionMs: number;
  /** How often raw boots are pruned; 1 hour unless given. */
  pruneIntervalMs?: number;
  /** Receives the counter increments of each decided boot, after commit. */
  onCounters: (deltas: CounterDelta[]) => void;
  /**
   * Rollout detection from launches (rollouts/detect-rollouts.ts), run every sweep interval in a
   * task of its own: a failure there does not hold up the sweep, nor the other way round.
   */
  detectRollouts?: () => Promise<void>;
  log: SweepLog;
}

export interface Sweeper {
  /** One sweep now (skipped, resolving false, if one is running). */
  sweep(): Promise<boolean>;
  /** One prune now (skipped, resolving false, if one is running). */
  prune(): Promise<boolean>;
  /** One rollout detection now (skipped, resolving false, if one is running or there is none). */
  detect(): Promise<boolean>;
  /** Cancels the timers and waits for a running sweep or prune to finish. */
  stop(): Promise<void>;
}

export const PruneIntervalMs = 3_600_000;
export const ChangeFeedRetentionMs = 15 * 60_000;

export function startSweeper(o: SweeperOptions): Sweeper {
  const scheduler = o.scheduler ?? timerScheduler;
  let stopped = false;

  const sweep = exclusive(
    async () => {
      const now = o.clock.now();
      const decided = await o.store.sweep(now, o.reportDeadlineMs);
      for (const result of decided) o.onCounters(result.counters);
      if (decided.length > 0) {
        const reasons = countBy(decided.map((r) => r.boot.reason));
        o.log.info({ decided: decided.length, reasons }, 'sweeper decided silent launches');
      }
      await o.store.pruneChanges(now - ChangeFeedRetentionMs);
    },
    (e) => o.log.error({ err: e }, 'sweep failed; retrying at the next interval'),
  );

  const prune = exclusive(
    async () => {
      const before = o.clock.now() - o.retentionMs;
      const removed = await o.store.pruneBoots(before);
      if (removed > 0) {
        o.log.info({ removed, before: new Date(before).toISOString() }, 'pruned raw boots');
      }
    },
    (e) => o.log.error({ err: e }, 'prune failed; retrying at the next interval'),
  );

  const detectRollouts = o.detectRollouts;
  const detect = exclusive(
    async () => {
      await detectRollouts?.();
    },
    (e) => o.log.error({ err: e }, 'rollout detection failed; retrying at the next interval'),
  );

  const cancels = [
    scheduler.every(o.sweepIntervalMs, () => void (stopped || sweep.run())),
    scheduler.every(o.sweepIntervalMs, () => void (stopped || !detectRollouts || detect.run())),
    scheduler.every(o.pruneIntervalMs ?? PruneIntervalMs, () => void (stopped || prune.run())),
  ];

  return {
    sweep: () => sweep.run(),
    prune: () => prune.run(),
    detect: async () => (detectRollouts ? detect.run() : false),
    async stop() {
      stopped = true;
      for (const cancel of cancels) cancel();
      await Promise.all([sweep.idle(), prune.idle(), detect.idle()]);
    },
  };
}

/** Runs `work` at most once at a time; errors go to `onError`, never out. */
function exclusive(work: () => Promise<void>, onError: (e: unknown) => void) {
  let running: Promise<void> | null = null;
  return {
    async run(): Promise<boolean> {
      if (running) return false;
      running = work()
        .catch(onError)
        .finally(() => {
          running = null;
        });
      await running;
      return true;
    },
    async idle(): Promise<void> {
      await running;
    },
  };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
