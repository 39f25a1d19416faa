// Durations as operators write them: `250ms`, `90s`, `15m`, `6h`, `30d`, `1w`, or a combination
// (`1h30m`). The one parser for every configuration value and SLO window.
import { BootwatchError } from './errors.js';

const UnitMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const Part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/** Parses a duration into milliseconds; throws BW_CONFIG_DURATION naming what was received. */
export function parseDurationMs(text: string, field = 'duration'): number {
  const total = parseTotalMs(text, field);
  // `99999999999999999999d` parses; past 2^53 ms (285,616 years) it is not even counted exactly.
  if (!(total <= Number.MAX_SAFE_INTEGER)) {
    throw new BootwatchError(
      'BW_CONFIG_DURATION',
      `${field}: expected a duration of at most 285616 years, got '${text}'`,
    );
  }
  return total;
}

/** The milliseconds a well-formed duration says, however large; null for anything else. */
export function durationTextMs(text: string): number | null {
  try {
    return parseTotalMs(text, 'duration');
  } catch {
    return null;
  }
}

function parseTotalMs(text: string, field: string): number {
  const s = String(text).trim();
  let total = 0;
  let matched = 0;
  Part.lastIndex = 0;
  for (let m = Part.exec(s); m; m = Part.exec(s)) {
    total += Number(m[1]) * UnitMs[m[2]!]!;
    matched = Part.lastIndex;
  }
  if (s.length === 0 || matched !== s.length) {
    throw new BootwatchError(
      'BW_CONFIG_DURATION',
      `${field}: expected a duration such as 90s, 15m, 6h or 30d, got '${text}'`,
    );
  }
  return total;
}

/**
 * Node's timers count milliseconds in a signed 32-bit integer: a longer delay (24.8 days) fires
 * after 1 ms instead, with a TimeoutOverflowWarning, so an interval setting past it spins.
 */
export const MaxTimerMs = 2 ** 31 - 1;

/** The values a duration setting accepts, both ends included. */
export interface DurationRange {
  readonly minMs: number;
  readonly maxMs: number;
}

export function durationRange(min: string, max: string): DurationRange {
  return { minMs: parseDurationMs(min), maxMs: parseDurationMs(max) };
}

/** `from 1s to 1h`, as messages and the README say it. */
export function formatRange(range: DurationRange): string {
  return `from ${formatDuration(range.minMs)} to ${formatDuration(range.maxMs)}`;
}

export function inRange(ms: number, range: DurationRange): boolean {
  return ms >= range.minMs && ms <= range.maxMs;
}

/**
 * Parses a duration setting and checks its range: BW_CONFIG_DURATION when it is not a duration,
 * BW_CONFIG_INVALID (`sweep_interval: expected a duration from 1s to 1h, got '30d'`) outside.
 */
export function parseDurationIn(text: string, field: string, range: DurationRange): number {
  const ms = parseTotalMs(text, field);
  if (!inRange(ms, range)) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      `${field}: expected a duration ${formatRange(range)}, got '${text}'`,
    );
  }
  return ms;
}

export function parseDurationSeconds(text: string, field?: string): number {
  return parseDurationMs(text, field) / 1000;
}

/** Formats milliseconds as the shortest exact duration string: 5400000 -> `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UnitMs[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
