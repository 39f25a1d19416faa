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
