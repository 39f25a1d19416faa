// The write bench reads which pages a commit wrote from the WAL file itself: one frame per page,
// each naming its page, in the order written.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { walFramePages } from '../../bench/write-bench.js';

describe('walFramePages', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function database() {
    const dir = mkdtempSync(join(tmpdir(), 'bw-wal-'));
    dirs.push(dir);
    const path = join(dir, 'db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE a (k INTEGER PRIMARY KEY, v TEXT); CREATE TABLE b (k TEXT PRIMARY KEY)');
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { db, wal: () => readFileSync(`${path}-wal`) };
  }

  it('names the page of every frame a commit appended', () => {
    const { db, wal } = database();
    const rootOf = (name: string) =>
      (
        db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').get(name) as {
          rootpage: number;
        }
      ).rootpage;
    db.prepare('INSERT INTO a (k, v) VALUES (1, ?)').run('x');
    expect(walFramePages(wal())).toEqual([rootOf('a')]);
    db.transaction(() => {
      db.prepare('INSERT INTO a (k, v) VALUES (2, ?)').run('y');
      db.prepare('INSERT INTO b (k) VALUES (?)').run('z');
    })();
    const pages = walFramePages(wal());
    expect(pages).toHaveLength(4); // b is a rowid table with an index for its key: two pages
    expect(pages.slice(1).sort()).toEqual(
      [rootOf('a'), rootOf('b'), rootOf('sqlite_autoindex_b_1')].sort(),
    );
    db.close();
  });

  it('reads no frames from an empty or truncated WAL', () => {
    expect(walFramePages(Buffer.alloc(0))).toEqual([]);
    const { db, wal } = database();
    expect(walFramePages(wal())).toEqual([]);
    db.close();
  });
});
