// Compressed time for an in-process collector: a clock and a timer scheduler that the simulator
// moves, so that thirty days of launches, reports and sweeps run in minutes; then, for a collector
// that keeps serving after the simulation (the demo), both switch to real time. The simulated
// timeline ends at (or before) the real present, so the switch never moves time backwards.
import type { Clock } from '../shared/clock.js';
import type { Scheduler } from '../collector/sweeper.js';

export class SimClock implements Clock {
  private live = false;

  constructor(private ms: number) {}

  now(): number {
    // Never backwards: a simulation that ended a moment in the future stays there until real
    // time catches up.
    return this.live ? Math.max(this.ms, Date.now()) : this.ms;
  }

  /** Moves simulated time forward to `ms` (never back). */
  advanceTo(ms: number): void {
    if (this.live) throw new Error('SimClock: the clock is live; simulated time cannot be set');
    this.ms = Math.max(this.ms, ms);
  }

  get isLive(): boolean {
    return this.live;
  }

  /** From now on, real time. */
  goLive(): void {
    this.ms = this.now();
    this.live = true;
  }
}

interface Timer {
  everyMs: number;
  fn: () => void;
  lastMs: number;
  cancelled: boolean;
  interval: NodeJS.Timeout | null;
}

/**
 * The collector's sweeper registers its timers here. While simulated, a timer fires when the
 * simulation moves the clock past its next due time (once per move, however far: a sweep decides
 * everything that is due, so catching up one sweep at a time would only repeat it); once live, a
 * real interval drives it.
 */
export class SimScheduler implements Scheduler {
  private readonly timers: Timer[] = [];
  private live = false;

  constructor(private readonly clock: Clock) {}

  every(ms: number, fn: () => void): () => void {
    const timer: Timer = {
      everyMs: ms,
      fn,
      lastMs: this.clock.now(),
      cancelled: false,
      interval: null,
    };
    this.timers.push(timer);
    if (this.live) this.startInterval(timer);
    return () => {
      timer.cancelled = true;
      if (timer.interval) clearInterval(timer.interval);
    };
  }

  /** Fires every timer due at the clock's current time; returns how many fired. */
  fireDue(): number {
    if (this.live) return 0;
    const now = this.clock.now();
    let fired = 0;
    for (const timer of this.timers) {
      if (timer.cancelled || now - timer.lastMs < timer.everyMs) continue;
      timer.lastMs = now;
      timer.fn();
      fired += 1;
    }
    return fired;
  }

  goLive(): void {
    if (this.live) return;
    this.live = true;
    for (const timer of this.timers) if (!timer.cancelled) this.startInterval(timer);
  }

  private startInterval(timer: Timer): void {
    timer.interval = setInterval(timer.fn, timer.everyMs);
    // The HTTP server keeps the process alive; the sweeper alone must not (as timerScheduler).
    timer.interval.unref();
  }
}
