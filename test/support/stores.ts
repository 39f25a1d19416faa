// Both store engines for one shared test suite. describeStores(title, body) runs `body` once per
// engine, each test on a fresh database: a temporary SQLite file, or a PostgreSQL schema of its
// own (bw_test_<random>, dropped in teardown) so that concurrent runs never collide.
//
// PostgreSQL comes from BOOTWATCH_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
// Unreachable: with CI set the PostgreSQL suite fails; locally it is skipped with a message.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, it } from 'vitest';
import type { BootReport } from '../../shared/boot-report.js';
import type { Clock } from '../../shared/clock.js';
import type { InstanceEvent } from '../../collector/model.js';
import { PgStore } from '../../collector/store/pg-store.js';
import { SqliteStore } from '../../collector/store/sqlite-store.js';
import type { Store } from '../../collector/store/store.js';
import { maskSpec } from '../../collector/store/store-errors.js';

export const PgUrl = process.env.BOOTWATCH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type EngineName = 'sqlite' | 'postgres';
export const EngineNames: EngineName[] = ['sqlite', 'postgres'];

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PgUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return `PostgreSQL at ${maskSpec(PgUrl)} is unreachable: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why PostgreSQL cannot be tested here, or null when it can. */
export const pgProblem = await probePostgres();
if (pgProblem !== null && !process.env.CI) {
  console.warn(`${pgProblem}: skipping the PostgreSQL store tests (set BOOTWATCH_TEST_PG_URL)`);
}

export interface StoreHarness {
  engine: EngineName;
  /** A migrated store on this test's database; several may be open at once (replicas). */
  open(options?: { replicaId?: string; clock?: Clock }): Promise<Store>;
  /** Closes every store it opened and deletes the test's database (file or schema). */
  dispose(): Promise<void>;
  /** The SQLite file or the PostgreSQL schema of this test. */
  location: string;
  /** Runs SQL on the test's database outside any store (PostgreSQL: in its schema). */
  sql(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  /** A connection URL to the test's database (PostgreSQL: with its schema as search_path). */
  url: string;
}

export async function createHarness(engine: EngineName): Promise<StoreHarness> {
  const opened: Store[] = [];
  const track = async (store: Store) => {
    opened.push(store);
    await store.migrate();
    return store;
  };
  const closeAll = () => Promise.all(opened.map((s) => s.close().catch(() => undefined)));
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'bw-store-'));
    const path = join(dir, 'bootwatch.db');
    return {
      engine,
      location: path,
      url: path,
      sql: async (text, values = []) => {
        const db = new Database(path);
        try {
          const statement = db.prepare(text);
          if (statement.reader) return statement.all(...values) as Record<string, unknown>[];
          statement.run(...values);
          return [];
        } finally {
          db.close();
        }
      },
      open: (o = {}) =>
        track(new SqliteStore({ path, replicaId: o.replicaId ?? 'r1', clock: o.clock })),
      dispose: async () => {
        await closeAll();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bw_test_${randomBytes(6).toString('hex')}`;
  const url = `${PgUrl}${PgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    engine,
    location: schema,
    url,
    sql: async (text, values = []) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(text, values)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    },
    open: (o = {}) =>
      track(
        new PgStore({
          connectionString: PgUrl,
          schema,
          replicaId: o.replicaId ?? 'r1',
          clock: o.clock,
          poolSize: 4,
        }),
      ),
    dispose: async () => {
      await closeAll();
      const client = new pg.Client({ connectionString: PgUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Runs `body` as one describe block per engine, with a fresh harness for every test. */
export function describeStores(
  title: string,
  body: (harness: () => StoreHarness, engine: EngineName) => void,
  engines: EngineName[] = EngineNames,
): void {
  for (const engine of engines) {
    if (engine === 'postgres' && pgProblem !== null && process.env.CI) {
      describe(`${title} [postgres]`, () => {
        it('needs PostgreSQL (CI is set, so this fails instead of skipping)', () => {
          throw new Error(pgProblem ?? '');
        });
      });
      continue;
    }
    describe.skipIf(engine === 'postgres' && pgProblem !== null)(`${title} [${engine}]`, () => {
      let harness: StoreHarness | undefined;
      beforeEach(async () => {
        harness = await createHarness(engine);
      });
      afterEach(async () => {
        await harness?.dispose();
        harness = undefined;
      });
      body(() => {
        if (harness === undefined) throw new Error('no store harness outside a test');
        return harness;
      }, engine);
    });
  }
}

/** 2025-03-01T12:00:00Z: the launch time of the sample boots. */
export const T0 = Date.parse('2025-03-01T12:00:00.000Z');
export const MinuteMs = 60_000;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A valid first-boot success report; override what a test is about. */
export function bootReport(overrides: Partial<BootReport> = {}): BootReport {
  return {
    instanceId: 'i-0a1b2c3d4e5f60001',
    bootId: '3f1c9a52-7b2e-4c1d-9a6b-0d2e4f6a8b10',
    firstBoot: true,
    launchedAt: iso(T0),
    kernelStartedAt: iso(T0 + 9_000),
    amiId: 'ami-0abc1234def567890',
    amiName: 'web-al2023',
    amiVersion: '1.4.0',
    accountId: '123456789012',
    region: 'us-east-1',
    availabilityZone: 'us-east-1a',
    instanceType: 'm5.large',
    asg: 'web-asg',
    outcome: 'success',
    reason: 'none',
    timeToReadySeconds: 42.5,
    phases: { provisioning: 9, kernel: 1.5, cloud_init_init: 20, probe_wait: 12 },
    ...overrides,
  };
}

/** An EC2/Auto Scaling fact; override what a test is about. */
export function instanceEvent(overrides: Partial<InstanceEvent> = {}): InstanceEvent {
  return {
    eventId: `ev-${randomBytes(6).toString('hex')}`,
    kind: 'launched',
    instanceId: 'i-0a1b2c3d4e5f60001',
    atMs: T0,
    source: 'aws.autoscaling',
    detailType: 'EC2 Instance Launch Successful',
    region: 'us-east-1',
    accountId: '123456789012',
    amiId: 'ami-0abc1234def567890',
    instanceType: 'm5.large',
    availabilityZone: 'us-east-1a',
    asg: 'web-asg',
    ...overrides,
  };
}
