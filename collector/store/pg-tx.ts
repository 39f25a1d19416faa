// Transactions on a pg Pool: BEGIN ... COMMIT on one client, ROLLBACK on any error, and a bounded
// retry when PostgreSQL aborted the transaction to break a deadlock or a serialization conflict
// (the whole transaction is replayed, so a retry is as atomic as the first try). A write that is
// one statement runs without BEGIN and COMMIT (its own transaction, committed before its answer
// arrives: two round trips fewer), with the same retry.
import type pg from 'pg';
import type { NamedSql } from './pg-sql.js';
import type { Row, SqlValue } from './rows.js';

export type Db = pg.PoolClient;
export type Param = SqlValue | SqlValue[] | undefined;

const RetryableCodes = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure
const MaxAttempts = 3;

function sqlState(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string'
    ? e.code
    : undefined;
}

/** Runs `write` (statements that are each a whole transaction), again on a deadlock. */
export async function retried<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (attempt < MaxAttempts && RetryableCodes.has(sqlState(e) ?? '')) continue;
      throw e;
    }
  }
}

export async function inTransaction<T>(pool: pg.Pool, fn: (db: Db) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError; // the connection is unusable: drop it from the pool
      });
      if (attempt < MaxAttempts && RetryableCodes.has(sqlState(e) ?? '')) continue;
      throw e;
    } finally {
      client.release(broken);
    }
  }
}

/** Runs a named statement and returns its rows. */
export async function run(db: Db | pg.Pool, q: NamedSql, values: Param[] = []): Promise<Row[]> {
  const sent = values.map((v) => (Array.isArray(v) ? arrayLiteral(v) : v));
  const result = await db.query<Row>({ name: q.name, text: q.text, values: sent });
  return result.rows;
}

const NeedsEscape = /["\\]/;

/**
 * A one-dimensional array in PostgreSQL's text form, which is what the driver sends for an array
 * too: built here in one pass, because the driver's element-by-element escaping was the largest
 * single cost of sending a batch (a batch of 64 reports is 40-odd arrays of 64). Strings are
 * quoted (backslash before `"` and `\`), numbers and booleans are not, null is NULL.
 * Example: ['a"b', null, 'c'] -> {"a\"b",NULL,"c"}; [1, 2.5] -> {1,2.5}.
 */
export function arrayLiteral(values: readonly SqlValue[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'string') {
      out += NeedsEscape.test(v) ? `"${v.replace(/["\\]/g, '\\$&')}"` : `"${v}"`;
    } else if (typeof v === 'boolean') out += v ? 't' : 'f';
    else out += String(v);
  }
  return `${out}}`;
}
