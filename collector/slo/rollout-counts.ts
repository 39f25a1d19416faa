// Counts of the rollout_success SLI (M6: rollouts not rolled back / rollouts finished): events =
// rollouts finished in the window (promoted, rolled back or aborted, by a pipeline or detected),
// errors = those rolled back. Read from the store's rollouts at each evaluation, one small
// counting query per window (rollouts are few: tens a day in a large fleet), only when an SLO
// asks for them. Worked example, 90 days: 180 rollouts finished, 2 rolled back: SLI 98.9%,
// against 99% a budget of 1.8 rollbacks, 2 leave -11% (overspent).
import type { CountTable } from './evaluate.js';
import { windowRange } from './rollup-book.js';

const MinuteMs = 60_000;

/** The store's count of finished rollouts since a time, by outcome (and source, summed here). */
export type CountFinished = (sinceMs: number) => Promise<{ outcome: string; count: number }[]>;

export class RolloutCounts {
  private readonly byWindow = new Map<number, { events: number; errors: number }>();

  /** Reads every window's counts, each window ending with the current minute (as rollups do). */
  async read(countFinished: CountFinished, nowMinute: number, windowsMs: readonly number[]) {
    for (const windowMs of new Set(windowsMs)) {
      const sinceMs = windowRange(nowMinute, windowMs / MinuteMs).from * MinuteMs;
      const rows = await countFinished(sinceMs);
      let events = 0;
      let errors = 0;
      for (const row of rows) {
        events += row.count;
        if (row.outcome === 'rolled_back') errors += row.count;
      }
      this.byWindow.set(windowMs, { events, errors });
    }
  }

  /** One row: the counts of each window as last read (0 before the first read). */
  table(windowsMs: readonly number[]): CountTable {
    const events = new Float64Array(windowsMs.length);
    const errors = new Float64Array(windowsMs.length);
    windowsMs.forEach((windowMs, i) => {
      const c = this.byWindow.get(windowMs);
      events[i] = c?.events ?? 0;
      errors[i] = c?.errors ?? 0;
    });
    return { windowsMs, events, errors };
  }
}
