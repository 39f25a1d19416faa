// BOOTWATCH_STORE to a Store: a postgres:// or postgresql:// URL opens PostgreSQL, anything else
// is a SQLite file path. The store comes back migrated (migrate() again is a no-op), so an
// unreachable database or an unwritable path fails here, with BW_STORE_OPEN.
import type { Clock } from '../../shared/clock.js';
import { PgStore } from './pg-store.js';
import { DefaultSqlitePath, SqliteStore } from './sqlite-store.js';
import { openError } from './store-errors.js';
import type { Store } from './store.js';

export { DefaultSqlitePath };

export interface OpenStoreOptions {
  /** Whose counters this process keeps (one row set per collector replica). */
  replicaId: string;
  clock?: Clock;
  /** SQLite only: 'full' fsyncs every commit (survives power loss), 'normal' (default) does not. */
  synchronous?: 'normal' | 'full';
  /** See heartbeats.ts: the collector passes half its heartbeat window. */
  heartbeatRefreshMs?: number;
}

export function isPostgresSpec(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec.trim());
}

export async function openStore(spec: string, options: OpenStoreOptions): Promise<Store> {
  const target = spec.trim() === '' ? DefaultSqlitePath : spec.trim();
  let store: Store | undefined;
  try {
    store = isPostgresSpec(target)
      ? new PgStore({
          connectionString: target,
          replicaId: options.replicaId,
          clock: options.clock,
          heartbeatRefreshMs: options.heartbeatRefreshMs,
        })
      : new SqliteStore({
          path: target,
          replicaId: options.replicaId,
          clock: options.clock,
          synchronous: options.synchronous,
          heartbeatRefreshMs: options.heartbeatRefreshMs,
        });
    await store.migrate();
    return store;
  } catch (e) {
    await store?.close().catch(() => undefined);
    throw openError(target, e);
  }
}
