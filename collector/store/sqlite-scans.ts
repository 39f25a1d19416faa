// Image scans on SQLite (scan-store.ts). Statements are prepared on first use: the table exists
// only once the store has migrated.
import type Database from 'better-sqlite3';
import { UnknownVersion } from '../../shared/conventions.js';
import type { NewScan, StoredScan } from '../scans/image-scan.js';
import { insertScanSql, LatestScansSql, rowToScan, scanValues } from './scan-rows.js';
import type { ScanStore, VersionRunning } from './scan-store.js';
import { bind } from './sqlite-statements.js';
import type { Row } from './rows.js';

type Write = <T>(what: string, fn: () => T) => T;

function prepare(db: Database.Database) {
  return {
    insert: db.prepare(insertScanSql(() => '?')),
    latest: db.prepare(LatestScansSql),
    history: db.prepare(
      `SELECT * FROM image_scans WHERE ami_version = ?
       ORDER BY scanned_at_ms DESC, scan_id DESC LIMIT ?`,
    ),
    running: db.prepare(
      `SELECT COALESCE(i.version, ?) AS ami_version, count(*) AS running
       FROM launches l LEFT JOIN images i ON i.ami_id = l.ami_id
       WHERE l.launched_at_ms IS NOT NULL AND l.state IN ('launched', 'running')
       GROUP BY 1 ORDER BY 1`,
    ),
  };
}

export class SqliteScans implements ScanStore {
  private q: ReturnType<typeof prepare> | null = null;

  /** `write` runs its function in the store's write transaction (sqlite-store.ts). */
  constructor(
    private readonly db: Database.Database,
    private readonly write: Write,
  ) {}

  private get statements() {
    this.q ??= prepare(this.db);
    return this.q;
  }

  async record(scan: NewScan): Promise<StoredScan | null> {
    const row = this.write('storing a scan', () =>
      this.statements.insert.get(...bind([...scanValues(scan), scan.amiId])),
    ) as Row | undefined;
    return row === undefined ? null : rowToScan(row);
  }

  async latest(): Promise<StoredScan[]> {
    return (this.statements.latest.all() as Row[]).map(rowToScan);
  }

  async history(amiVersion: string, limit: number): Promise<StoredScan[]> {
    return (this.statements.history.all(amiVersion, limit) as Row[]).map(rowToScan);
  }

  async runningByVersion(): Promise<VersionRunning[]> {
    return (this.statements.running.all(UnknownVersion) as Row[]).map((r) => ({
      amiVersion: String(r.ami_version),
      running: Number(r.running),
    }));
  }
}
