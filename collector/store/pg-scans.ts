// Image scans on PostgreSQL (scan-store.ts), as named statements like pg-sql.ts's.
import type pg from 'pg';
import { UnknownVersion } from '../../shared/conventions.js';
import type { NewScan, StoredScan } from '../scans/image-scan.js';
import type { NamedSql } from './pg-sql.js';
import { run, type Db } from './pg-tx.js';
import { insertScanSql, LatestScansSql, pgScanType, rowToScan, scanValues } from './scan-rows.js';
import type { ScanStore, VersionRunning } from './scan-store.js';

type Write = <T>(what: string, fn: (db: Db) => Promise<T>) => Promise<T>;

const ScanSql = {
  insert: { name: 'bw_insert_scan', text: insertScanSql((i, c) => `$${i}::${pgScanType(c)}`) },
  latest: { name: 'bw_latest_scans', text: LatestScansSql },
  history: {
    name: 'bw_scan_history',
    text: `SELECT * FROM image_scans WHERE ami_version = $1
           ORDER BY scanned_at_ms DESC, scan_id DESC LIMIT $2`,
  },
  running: {
    name: 'bw_running_by_version',
    text: `SELECT COALESCE(i.version, $1) AS ami_version, count(*) AS running
           FROM launches l LEFT JOIN images i ON i.ami_id = l.ami_id
           WHERE l.launched_at_ms IS NOT NULL AND l.state IN ('launched', 'running')
           GROUP BY 1 ORDER BY 1`,
  },
} satisfies Record<string, NamedSql>;

export class PgScans implements ScanStore {
  /** `write` runs its function in one of the store's transactions (pg-store.ts). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly write: Write,
  ) {}

  async record(scan: NewScan): Promise<StoredScan | null> {
    const [row] = await this.write('storing a scan', (db) =>
      run(db, ScanSql.insert, [...scanValues(scan), scan.amiId]),
    );
    return row === undefined ? null : rowToScan(row);
  }

  async latest(): Promise<StoredScan[]> {
    return (await run(this.pool, ScanSql.latest)).map(rowToScan);
  }

  async history(amiVersion: string, limit: number): Promise<StoredScan[]> {
    return (await run(this.pool, ScanSql.history, [amiVersion, limit])).map(rowToScan);
  }

  async runningByVersion(): Promise<VersionRunning[]> {
    return (await run(this.pool, ScanSql.running, [UnknownVersion])).map((r) => ({
      amiVersion: String(r.ami_version),
      running: Number(r.running),
    }));
  }
}
