// Compressed time: the clock moves only forward and only when told, timers fire when simulated
// time passes their interval, and both switch to real time without going backwards.
import { describe, expect, it, vi } from 'vitest';
import { SimClock, SimScheduler } from '../../simulator/sim-clock.js';

describe('SimClock', () => {
  it('stands still until advanced, never goes back, and then follows real time', () => {
    const clock = new SimClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advanceTo(5_000);
    clock.advanceTo(4_000);
    expect(clock.now()).toBe(5_000);
    clock.goLive();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1_000);
    expect(() => clock.advanceTo(Date.now() + 10_000)).toThrow(/live/);
  });

  it('live, it keeps a simulated time that is ahead of real time until real time catches up', () => {
    const ahead = Date.now() + 60_000;
    const clock = new SimClock(ahead);
    clock.goLive();
    expect(clock.now()).toBe(ahead);
  });
});

describe('SimScheduler', () => {
  it('fires a timer once per move past its interval, however far the move', () => {
    const clock = new SimClock(0);
    const scheduler = new SimScheduler(clock);
    const sweeps: number[] = [];
    const prunes: number[] = [];
    scheduler.every(30_000, () => sweeps.push(clock.now()));
    const cancel = scheduler.every(3_600_000, () => prunes.push(clock.now()));
    clock.advanceTo(29_999);
    expect(scheduler.fireDue()).toBe(0);
    clock.advanceTo(30_000);
    expect(scheduler.fireDue()).toBe(1);
    clock.advanceTo(10 * 3_600_000);
    expect(scheduler.fireDue()).toBe(2);
    expect(sweeps).toEqual([30_000, 36_000_000]);
    expect(prunes).toEqual([36_000_000]);
    cancel();
    clock.advanceTo(20 * 3_600_000);
    scheduler.fireDue();
    expect(prunes).toHaveLength(1);
  });

  it('live, real intervals drive the timers', () => {
    vi.useFakeTimers();
    try {
      const clock = new SimClock(0);
      const scheduler = new SimScheduler(clock);
      let fired = 0;
      scheduler.every(30_000, () => (fired += 1));
      scheduler.goLive();
      expect(scheduler.fireDue()).toBe(0);
      vi.advanceTimersByTime(90_000);
      expect(fired).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
