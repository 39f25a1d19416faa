import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rfc3339Ms } from '../../shared/rfc3339.js';

// 1970..2100, whole milliseconds: the range events and identity documents live in.
const instant = fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) });

describe('rfc3339Ms', () => {
  it('reads back what toISOString writes', () => {
    fc.assert(
      fc.property(instant, (ms) => {
        expect(rfc3339Ms(new Date(ms).toISOString())).toBe(ms);
      }),
    );
  });

  it('gives the same instant for any offset', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -12 * 60, max: 14 * 60 }), (ms, offsetMin) => {
        const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
        const sign = offsetMin < 0 ? '-' : '+';
        const abs = Math.abs(offsetMin);
        const hh = String(Math.floor(abs / 60)).padStart(2, '0');
        const mm = String(abs % 60).padStart(2, '0');
        expect(rfc3339Ms(`${local}${sign}${hh}:${mm}`)).toBe(ms);
      }),
    );
  });

  it.each([
    ['2015-11-11T21:29:54Z', Date.UTC(2015, 10, 11, 21, 29, 54)],
    ['2024-02-29T00:00:00.5Z', Date.UTC(2024, 1, 29, 0, 0, 0, 500)],
    ['2024-05-14T09:12:40.123456789Z', Date.UTC(2024, 4, 14, 9, 12, 40, 123)],
    ['2024-05-14t11:12:40+02:00', Date.UTC(2024, 4, 14, 9, 12, 40)],
  ])('reads %s', (text, ms) => {
    expect(rfc3339Ms(text)).toBe(ms);
  });

  it('reads the years 0 to 99 as themselves, not as 1900 to 1999 (Date.UTC does)', () => {
    expect(new Date(rfc3339Ms('0050-01-01T00:00:00Z')!).toISOString()).toBe(
      '0050-01-01T00:00:00.000Z',
    );
    // Year 4 is a leap year, 1904 too, but year 0 is one and 1900 is not.
    expect(rfc3339Ms('0000-02-29T00:00:00Z')).not.toBeNull();
    expect(rfc3339Ms('1900-02-29T00:00:00Z')).toBeNull();
  });

  it.each([
    '2023-02-29T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-01-01T24:00:00Z',
    '2024-01-01T00:00:60Z',
    '2024-01-01T00:00:00',
    '2024-01-01 00:00:00Z',
    '2024-01-01T00:00:00+0200',
    '1715677960000',
    '',
  ])('refuses %j', (text) => {
    expect(rfc3339Ms(text)).toBeNull();
  });
});
