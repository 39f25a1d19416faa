import { describe, expect, it } from 'vitest';
import type { StoredBoot } from '../../../collector/model.js';
import { increment } from '../../../collector/store/counter-deltas.js';
import { CounterFamilies } from '../../../collector/store/counter-families.js';
import type { CounterDelta, UpsertBootResult } from '../../../collector/store/store.js';
import { startSweeper } from '../../../collector/sweeper.js';
import { ManualClock } from '../../../shared/clock.js';
import { ManualScheduler } from './harness.js';

/** A store double that records calls and can be made to fail or to hang. */
class SweepStore {
  sweeps: [number, number][] = [];
  prunes: number[] = [];
  feedPrunes: number[] = [];
  fail = false;
  gate: Promise<void> | null = null;
  result: UpsertBootResult[] = [];
  async sweep(nowMs: number, deadlineMs: number): Promise<UpsertBootResult[]> {
    this.sweeps.push([nowMs, deadlineMs]);
    if (this.gate) await this.gate;
    if (this.fail) throw new Error('database is locked');
    return this.result;
  }
  async pruneBoots(beforeMs: number): Promise<number> {
    this.prunes.push(beforeMs);
    if (this.fail) throw new Error('disk full');
    return 3;
  }
  async pruneChanges(beforeMs: number): Promise<number> {
    this.feedPrunes.push(beforeMs);
    return 0;
  }
}

const quietLog = () => {
  const lines: { level: string; msg: string }[] = [];
  return {
    lines,
    info: (_o: object, msg: string) => lines.push({ level: 'info', msg }),
    error: (_o: object, msg: string) => lines.push({ level: 'error', msg }),
  };
};

const decided = (counters: CounterDelta[]): UpsertBootResult => ({
  status: 'inserted',
  boot: { reason: 'no_report' } as StoredBoot,
  counters,
});

const flush = () => new Promise((r) => setImmediate(r));

describe('sweeper', () => {
  it('sweeps every interval with the clock and the deadline, and applies the counters', async () => {
    const clock = new ManualClock(1_000_000);
    const scheduler = new ManualScheduler();
    const store = new SweepStore();
    const labels = ['ami-1', '1.0', 'us-east-1', '', 'm5.large', 'failure', 'no_report'];
    const delta = increment(CounterFamilies.bootsTotal, labels, 1);
    store.result = [decided([delta])];
    const applied: CounterDelta[][] = [];
    const sweeper = startSweeper({
      store,
      clock,
      scheduler,
      sweepIntervalMs: 30_000,
      reportDeadlineMs: 900_000,
      retentionMs: 86_400_000,
      onCounters: (d) => applied.push(d),
      log: quietLog(),
    });
    scheduler.fire(30_000);
    await flush();
    clock.advance(30_000);
    scheduler.fire(30_000);
    await flush();
    expect(store.sweeps).toEqual([
      [1_000_000, 900_000],
      [1_030_000, 900_000],
    ]);
    expect(applied).toEqual([[delta], [delta]]);
    // Each sweep prunes the change feed of what is older than its retention, a quarter hour.
    expect(store.feedPrunes).toEqual([100_000, 130_000]);
    await sweeper.stop();
  });

  it('prunes hourly what is older than the retention', async () => {
    const clock = new ManualClock(100 * 86_400_000);
    const scheduler = new ManualScheduler();
    const store = new SweepStore();
    const sweeper = startSweeper({
      store,
      clock,
      scheduler,
      sweepIntervalMs: 30_000,
      reportDeadlineMs: 900_000,
      retentionMs: 30 * 86_400_000,
      onCounters: () => undefined,
      log: quietLog(),
    });
    scheduler.fire(3_600_000);
    await flush();
    expect(store.prunes).toEqual([70 * 86_400_000]);
    await sweeper.stop();
  });

  it('logs a failure and keeps going at the next tick', async () => {
    const scheduler = new ManualScheduler();
    const store = new SweepStore();
    const log = quietLog();
    const sweeper = startSweeper({
      store,
      clock: new ManualClock(0),
      scheduler,
      sweepIntervalMs: 10,
      reportDeadlineMs: 1,
      retentionMs: 1,
      onCounters: () => undefined,
      log,
    });
    store.fail = true;
    await expect(sweeper.sweep()).resolves.toBe(true);
    await expect(sweeper.prune()).resolves.toBe(true);
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(2);
    store.fail = false;
    scheduler.fire(10);
    await flush();
    expect(store.sweeps).toHaveLength(2);
    await sweeper.stop();
  });

  it('never overlaps runs, and stop() waits for the running one and cancels the timers', async () => {
    const scheduler = new ManualScheduler();
    const store = new SweepStore();
    let release: () => void = () => undefined;
    store.gate = new Promise((r) => (release = r));
    const sweeper = startSweeper({
      store,
      clock: new ManualClock(0),
      scheduler,
      sweepIntervalMs: 10,
      reportDeadlineMs: 1,
      retentionMs: 1,
      onCounters: () => undefined,
      log: quietLog(),
    });
    const first = sweeper.sweep();
    await expect(sweeper.sweep()).resolves.toBe(false);
    let stopped = false;
    const stopping = sweeper.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    release();
    await first;
    await stopping;
    expect(scheduler.timers.every((t) => t.cancelled)).toBe(true);
    scheduler.fire(10);
    expect(store.sweeps).toHaveLength(1);
  });
});
