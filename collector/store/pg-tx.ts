// Transactions on a pg Pool: BEGIN ... COMMIT on one client, ROLLBACK on any error, and a bounded
// retry when PostgreSQL aborted the transaction to break a deadlock or a serialization conflict
// (the whole transaction is replayed, so a retry is as atomic as the first try).
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
  const result = await db.query<Row>({ name: q.name, text: q.text, values });
  return result.rows;
}
