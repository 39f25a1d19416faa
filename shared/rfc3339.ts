// RFC 3339 timestamps as AWS and the agent write them (`2015-11-11T21:29:54Z`, `...54.123Z`,
// `...54+02:00`): EventBridge events, identity documents, a boot's launched_at. Date.parse alone
// is too lenient: it rolls 2020-02-30 over to March 1 and accepts forms RFC 3339 does not. This
// checks every field's range, then converts exactly.

const Rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** A JSON-schema pattern for the same grammar (the ranges are checked by rfc3339Ms). */
export const Rfc3339Pattern = Rfc3339.source;

/** Date.UTC, but for every year: Date.UTC reads the years 0 to 99 as 1900 to 1999. */
function utcMs(year: number, month0: number, day: number, h = 0, m = 0, s = 0, ms = 0): number {
  const d = new Date(Date.UTC(2000, 0, 1, h, m, s, ms));
  d.setUTCFullYear(year, month0, day);
  return d.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcMs(year, month, 0)).getUTCDate();
}

/** Epoch milliseconds of an RFC 3339 timestamp, or null when it is not one. Sub-ms digits are dropped. */
export function rfc3339Ms(text: string): number | null {
  const m = Rfc3339.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offsetHours = m[10] === undefined ? 0 : Number(m[10]);
  const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  // A leap second (:60) is not representable in epoch time; AWS never sends one.
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return null;
  }
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const sign = m[9] === '-' ? -1 : 1;
  const offsetMs = sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  return utcMs(year, month - 1, day, hour, minute, second, ms) - offsetMs;
}

/** The ISO form of epoch milliseconds for a message, or the number when no Date can hold it. */
export function instantText(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}
