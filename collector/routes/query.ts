// Query-string values of the read API that a JSON schema cannot express alone.
import { parseDurationMs } from '../../shared/duration.js';
import { BootwatchError } from '../../shared/errors.js';

const Rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

/**
 * `since` as a window back from now (`30d`, `6h`) or an RFC 3339 instant; epoch ms.
 * Example: since=7d at 2024-05-08T00:00:00Z -> 2024-05-01T00:00:00Z.
 */
export function parseSince(text: string | undefined, nowMs: number, fallback: string): number {
  const value = text ?? fallback;
  if (Rfc3339.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  try {
    return nowMs - parseDurationMs(value, 'since');
  } catch {
    throw new BootwatchError(
      'BW_BODY_INVALID',
      `querystring/since: expected a window such as 30d or an RFC 3339 time, got '${value}'`,
    );
  }
}

export const MinuteMs = 60_000;

export function floorMinute(ms: number): number {
  return Math.floor(ms / MinuteMs) * MinuteMs;
}
