// Keyset paging for queryBoots: a page ends at (outcome time, instance id, boot id) and the next
// one starts strictly after it in the order outcome time desc, instance id desc, boot id desc.
// The cursor is that key as base64url JSON: opaque to clients, stable while rows are added.
import { BootwatchError } from '../../shared/errors.js';
import type { StoredBoot } from '../model.js';

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
