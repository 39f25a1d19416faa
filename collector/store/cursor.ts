// Keyset paging for queryBoots: a page ends at (outcome time, instance id, boot id) and the next
// one starts strictly after it in the order outcome time desc, instance id desc, boot id desc.
// The cursor is that key as base64url JSON: opaque to clients, stable while rows are added.
import { BootwatchError } from '../../shared/errors.js';
import type { StoredBoot } from '../model.js';
import { ms, rowToBoot, type Row } from './rows.js';
import type { BootPage, BootQuery } from './store.js';

export interface BootCursor {
  outcomeAtMs: number;
  instanceId: string;
  bootId: string;
}

export const MaxPageSize = 1000;

export function encodeCursor(
  boot: Pick<StoredBoot, 'outcomeAtMs' | 'instanceId' | 'bootId'>,
): string {
  const key = [boot.outcomeAtMs, boot.instanceId, boot.bootId];
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): BootCursor {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = null;
  }
  if (
    !Array.isArray(key) ||
    key.length !== 3 ||
    !Number.isSafeInteger(key[0]) ||
    typeof key[1] !== 'string' ||
    typeof key[2] !== 'string'
  ) {
    throw new BootwatchError(
      'BW_BODY_INVALID',
      `cursor ${JSON.stringify(cursor.slice(0, 80))} is not one this server issued; ` +
        'expected the nextCursor of a previous page',
    );
  }
  return { outcomeAtMs: key[0] as number, instanceId: key[1], bootId: key[2] };
}

/** The page size asked for, checked: an integer from 1 to MaxPageSize. */
export function pageSize(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MaxPageSize) {
    throw new BootwatchError(
      'BW_BODY_INVALID',
      `limit ${String(limit)} is not a page size; expected an integer from 1 to ${MaxPageSize}`,
    );
  }
  return limit;
}

/**
 * The parameters of both engines' queryBoots statement, named for SQLite and in this order for
 * PostgreSQL's $1..$8. One row more than the page is asked for: its presence says a next page exists.
 */
export function bootPageParams(query: BootQuery) {
  const limit = pageSize(query.limit);
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  return {
    version: query.amiVersion ?? null,
    outcome: query.outcome ?? null,
    reason: query.reason ?? null,
    since: query.sinceMs === undefined ? null : ms(query.sinceMs),
    at: after?.outcomeAtMs ?? null,
    instance: after?.instanceId ?? null,
    boot: after?.bootId ?? null,
    limit: limit + 1,
  };
}

/** The page from the rows queryBoots returned (at most one more than the page size). */
export function bootPage(rows: readonly Row[], query: BootQuery): BootPage {
  const boots = rows.slice(0, query.limit).map(rowToBoot);
  const last = boots[boots.length - 1];
  return { boots, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
}
