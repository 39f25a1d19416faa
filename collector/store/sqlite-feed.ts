// The SQLite store's change feed reader (store.ts, RollupFeed). SQLite has one writer at a time:
// a transaction that inserts changes holds the write lock until it commits, so seq values commit
// in order and "every change with a seq above the last one read" is exact. A read is one
// transaction (one snapshot, also against another process writing the same file), and its
// statements are synchronous: nothing of this process interleaves with them either.
import type Database from 'better-sqlite3';
import { ms, valuesToChange, valuesToRollup } from './rows.js';
import type { SqliteStatements } from './sqlite-statements.js';
import type { FeedRead, RollupChange, RollupFeed, RollupQuery } from './store.js';
import type { RollupRow } from '../model.js';

export class SqliteFeed implements RollupFeed {
  /** The last seq read; null before the first read. */
  private last: number | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly q: () => SqliteStatements,
  ) {}

  read(ranges: readonly RollupQuery[]): Promise<FeedRead> {
    return Promise.resolve(this.db.transaction(() => this.readNow(ranges)).deferred());
  }

  /**
   * A read, and `alongside` run in the same transaction (the same snapshot): what it reads is
   * exactly what the changes of this read and the earlier ones add up to (rollout evidence).
   */
  readWith<T>(alongside: () => T): Promise<{ read: FeedRead; also: T }> {
    return Promise.resolve(
      this.db.transaction(() => ({ read: this.readNow([]), also: alongside() })).deferred(),
    );
  }

  private readNow(ranges: readonly RollupQuery[]): FeedRead {
    const q = this.q();
    let changes: RollupChange[] = [];
    if (this.last === null) {
      this.last = Number(q.lastChange.get() ?? 0);
    } else {
      if (Number(q.changesPruned.get() ?? 0) > this.last) return { lost: true };
      const raw = q.changesAfter.all(this.last) as unknown[][];
      if (raw.length > 0) this.last = Number(raw[raw.length - 1]![0]);
      changes = raw.map((v) => valuesToChange(v, 1));
    }
    const rows: RollupRow[] = [];
    for (const r of ranges) {
      for (const v of q.rollups.all(ms(r.fromMs), ms(r.toMs)) as unknown[][]) {
        rows.push(valuesToRollup(v));
      }
    }
    return { lost: false, rows, changes };
  }
}

/** Deletes changes recorded before `beforeMs` (by seq: they come in roughly that order). */
export function pruneSqliteChanges(q: SqliteStatements, beforeMs: number): number {
  const first = q.firstChangeSince.get(ms(beforeMs)) as number | undefined;
  const upTo = first ?? Number(q.lastChange.get() ?? 0) + 1;
  if (upTo <= 1) return 0;
  const deleted = q.pruneChanges.run(upTo).changes;
  if (deleted > 0) q.markChangesPruned.run(upTo - 1);
  return deleted;
}
