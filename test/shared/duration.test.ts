import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  durationRange,
  formatDuration,
  formatRange,
  parseDurationIn,
  parseDurationMs,
} from '../../shared/duration.js';
import { isBootwatchError } from '../../shared/errors.js';

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['15m', 900_000],
    ['6h', 21_600_000],
    ['30d', 2_592_000_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '15', 'm', '15 minutes', '-5s', '5x', '5s garbage'])(
    'rejects %j naming the field',
    (text) => {
      try {
        parseDurationMs(text, 'report_deadline');
        expect.unreachable();
      } catch (e) {
        expect(isBootwatchError(e, 'BW_CONFIG_DURATION')).toBe(true);
        expect((e as Error).message).toContain('report_deadline');
      }
    },
  );

  it('formatDuration and parseDurationMs round-trip whole milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400_000 }), (ms) => {
        expect(parseDurationMs(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});

describe('parseDurationIn', () => {
  const range = durationRange('1s', '1h');

  it('accepts both ends and says the range of what it refuses', () => {
    expect(formatRange(range)).toBe('from 1s to 1h');
    expect(parseDurationIn('1s', 'sweep_interval', range)).toBe(1000);
    expect(parseDurationIn('1h', 'sweep_interval', range)).toBe(3_600_000);
    for (const text of ['999ms', '1h1ms', '30d', '99999999999999999999d']) {
      expect(() => parseDurationIn(text, 'sweep_interval', range)).toThrow(
        expect.objectContaining({
          code: 'BW_CONFIG_INVALID',
          message: `sweep_interval: expected a duration from 1s to 1h, got '${text}'`,
        }),
      );
    }
  });

  it('still says when the text is no duration at all', () => {
    expect(() => parseDurationIn('soon', 'sweep_interval', range)).toThrow(
      expect.objectContaining({ code: 'BW_CONFIG_DURATION' }),
    );
  });
});

describe('parseDurationMs limits', () => {
  it('refuses a duration too large to count in milliseconds', () => {
    expect(() => parseDurationMs('99999999999999999999d', 'retention')).toThrow(
      expect.objectContaining({ code: 'BW_CONFIG_DURATION' }),
    );
    expect(parseDurationMs('36500d')).toBe(36_500 * 86_400_000);
  });
});
