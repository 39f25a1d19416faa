// Reading fields of the values a scan report's stream parser hands over: plain JSON of unknown
// shape, checked field by field so that a malformed entry is named in the error.
import { BootwatchError } from '../../shared/errors.js';

/** Where a value was in the report: its keys from the root (`['Results', 0, 'Vulnerabilities', 3]`). */
export type JsonPath = readonly (string | number | undefined)[];

export function property(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

export function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A non-empty text field of an entry, or BW_SCAN_FORMAT naming the entry and the field. */
export function required(value: unknown, key: string, where: string): string {
  const v = property(value, key);
  if (typeof v === 'string' && v !== '') return v;
  throw new BootwatchError(
    'BW_SCAN_FORMAT',
    `${where}.${key}: expected text, got ${v === undefined ? 'nothing' : JSON.stringify(v).slice(0, 60)}`,
  );
}
