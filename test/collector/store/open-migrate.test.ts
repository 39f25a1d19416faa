import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isBootwatchError } from '../../../shared/errors.js';
import { isPostgresSpec, openStore } from '../../../collector/store/open-store.js';
import { maskSpec } from '../../../collector/store/store-errors.js';
import type { Store } from '../../../collector/store/store.js';
import { bootReport, describeStores, T0 } from '../../support/stores.js';

const Versions = [{ version: 1 }, { version: 2 }, { version: 4 }];

describeStores('store: migrations and opening', (harness, engine) => {
  it('migrates once: migrating again, or another replica opening, changes nothing', async () => {
    const h = harness();
    const a = await h.open();
    await a.upsertBoot(bootReport(), T0);
    await a.migrate();
    const b = await h.open({ replicaId: 'r2' });
    expect(await h.sql('SELECT version FROM schema_migrations ORDER BY version')).toEqual(Versions);
    expect(await b.getBoots(bootReport().instanceId)).toHaveLength(1);
  });

  it('migrates once when replicas start together', async () => {
    const h = harness();
    const stores = await Promise.all([
      h.open(),
      h.open({ replicaId: 'r2' }),
      h.open({ replicaId: 'r3' }),
    ]);
    expect(await h.sql('SELECT version FROM schema_migrations ORDER BY version')).toEqual(Versions);
    await stores[2]?.upsertBoot(bootReport(), T0);
    expect(await stores[0]?.getBoots(bootReport().instanceId)).toHaveLength(1);
  });

  it('opens the engine the spec names, migrated', async () => {
    const h = harness();
    await h.open(); // creates the PostgreSQL schema the URL points at
    const store = await openStore(h.url, { replicaId: 'r9' });
    try {
      expect(store.engine).toBe(engine);
      expect((await store.upsertBoot(bootReport(), T0)).status).toBe('inserted');
    } finally {
      await store.close();
    }
  });

  if (engine === 'sqlite') {
    it('runs SQLite in WAL mode', async () => {
      const h = harness();
      await h.open();
      expect(await h.sql('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    });
  }
});

describe('openStore', () => {
  let dir: string | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    store = undefined;
    dir = undefined;
  });

  it('tells PostgreSQL URLs from file paths', () => {
    expect(isPostgresSpec('postgres://db/bootwatch')).toBe(true);
    expect(isPostgresSpec('postgresql://u@db:5432/bootwatch')).toBe(true);
    expect(isPostgresSpec('./data/postgres.db')).toBe(false);
    expect(isPostgresSpec('/var/lib/bootwatch/bootwatch.db')).toBe(false);
  });

  it('creates the folder of a SQLite file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bw-open-'));
    const path = join(dir, 'nested', 'deeper', 'bootwatch.db');
    store = await openStore(path, { replicaId: 'r1' });
    expect(store.engine).toBe('sqlite');
    expect(existsSync(path)).toBe(true);
  });

  it('fails with BW_STORE_OPEN naming the path when SQLite cannot open it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bw-open-'));
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const error = await openStore(join(file, 'bootwatch.db'), { replicaId: 'r1' }).catch(
      (e: unknown) => e,
    );
    expect(isBootwatchError(error, 'BW_STORE_OPEN')).toBe(true);
    expect((error as Error).message).toContain(join(file, 'bootwatch.db'));
  });

  it('fails with BW_STORE_OPEN and a masked password when PostgreSQL is unreachable', async () => {
    const error = await openStore('postgres://bw:s3cret-pw@127.0.0.1:1/bootwatch', {
      replicaId: 'r1',
    }).catch((e: unknown) => e);
    expect(isBootwatchError(error, 'BW_STORE_OPEN')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('postgres://bw:***@127.0.0.1:1/bootwatch');
    expect(message).not.toContain('s3cret-pw');
  });

  it('masks only the password of a spec', () => {
    expect(maskSpec('postgresql://bw:p%40ss@db.internal:5432/bw?sslmode=require')).toBe(
      'postgresql://bw:***@db.internal:5432/bw?sslmode=require',
    );
    expect(maskSpec('postgres://bw@db/bw')).toBe('postgres://bw@db/bw');
    expect(maskSpec('./data/bootwatch.db')).toBe('./data/bootwatch.db');
  });
});
