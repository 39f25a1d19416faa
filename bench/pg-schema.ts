// A PostgreSQL schema of its own for one benchmark run, dropped afterwards, so that runs never
// collide with each other or with the tests. null when PostgreSQL cannot be reached.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export async function pgBenchSchema(
  base: string,
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> } | null> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
  } catch {
    await client.end().catch(() => undefined);
    return null;
  }
  await client.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}
