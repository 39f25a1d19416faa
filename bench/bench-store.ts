// A store of its own for one benchmark: a SQLite file in a temporary folder, or a PostgreSQL
// schema (pg-schema.ts); what the collector is given (BOOTWATCH_STORE), what a benchmark opens
// in-process, and a count of a table's rows once the collector stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Store } from '../collector/store/store.js';
import { pgBenchSchema } from './pg-schema.js';

export const BenchPgUrl =
  process.env.BOOTWATCH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchStore {
  engine: 'sqlite' | 'postgres';
  /** BOOTWATCH_STORE: the file, or the URL with the schema as search_path. */
  spec: string;
  drop(): Promise<void>;
}

/** null when the engine cannot be reached (PostgreSQL not running). */
export async function benchStore(
  engine: 'sqlite' | 'postgres',
  prefix: string,
): Promise<BenchStore | null> {
  if (engine === 'postgres') {
    const schema = await pgBenchSchema(BenchPgUrl, prefix);
    return schema === null ? null : { engine, spec: schema.url, drop: schema.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return {
    engine,
    spec: join(dir, 'bootwatch.db'),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The rows of `table` (a constant of the caller, never input). */
export async function storedRows(store: BenchStore, table: string): Promise<number> {
  if (store.engine === 'sqlite') {
    const db = new Database(store.spec, { readonly: true });
    try {
      return Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: store.spec });
  await client.connect();
  try {
    const r = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * Closes a store opened in the benchmark's own process. The SQLite checkpointer's worker does
 * not hold the event loop open, so a benchmark with nothing else pending would exit (Node's
 * "unsettled top-level await", code 13) while close() waits for the worker to stop: a timer
 * holds it meanwhile.
 */
export async function closeStore(store: Store): Promise<void> {
  const hold = setInterval(() => undefined, 1000);
  try {
    await store.close();
  } finally {
    clearInterval(hold);
  }
}
