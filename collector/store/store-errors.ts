// The store's two errors: it cannot be opened (or migrated), or a write failed and was rolled
// back. Messages name the store by its spec with any password masked.
import { BootwatchError, errorMessage, isBootwatchError } from '../../shared/errors.js';

/** A store spec fit for a log line: `postgres://bw:secret@db/x` -> `postgres://bw:***@db/x`. */
export function maskSpec(spec: string): string {
  return spec.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
}

export function openError(spec: string, e: unknown): BootwatchError {
  if (isBootwatchError(e, 'BW_STORE_OPEN')) return e;
  return new BootwatchError(
    'BW_STORE_OPEN',
    `cannot open the store ${JSON.stringify(maskSpec(spec))}: ${errorMessage(e)}; expected a ` +
      'writable SQLite file path or a reachable postgres:// URL',
    { cause: e },
  );
}

/** Errors we raise on purpose pass through; anything else a write hit becomes BW_STORE_WRITE. */
export function writeError(what: string, e: unknown): BootwatchError {
  if (isBootwatchError(e)) return e;
  return new BootwatchError(
    'BW_STORE_WRITE',
    `${what} failed and was rolled back: ${errorMessage(e)}`,
    { cause: e },
  );
}
