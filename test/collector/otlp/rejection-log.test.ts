import { describe, expect, it } from 'vitest';
import { RejectionLog } from '../../../collector/otlp/rejection-log.js';
import { ManualClock } from '../../../shared/clock.js';

const partial = (n: number) => ({ rejectedDataPoints: n, errorMessage: `problem ${n}` });

describe('RejectionLog', () => {
  it('gives one line per partial success, at most `max` a minute, then says how many it held back', () => {
    const clock = new ManualClock(0);
    const log = new RejectionLog(clock, 2, 60_000);
    const lines = [1, 2, 3, 4].map((n) => {
      clock.advance(1000);
      return log.note(partial(n));
    });
    expect(lines).toEqual([
      { rejectedDataPoints: 1, message: 'problem 1', heldBack: 0 },
      { rejectedDataPoints: 2, message: 'problem 2', heldBack: 0 },
      null,
      null,
    ]);
    clock.advance(60_000);
    expect(log.note(partial(5))).toEqual({
      rejectedDataPoints: 5,
      message: 'problem 5',
      heldBack: 2,
    });
    expect(log.note(partial(6))).toMatchObject({ heldBack: 0 });
  });
});
