// Image scans as rows, for both engines: the columns, the values of a new scan in column order,
// and a row back to a StoredScan (SQLite gives 0/1 and JSON text, PostgreSQL booleans, parsed
// jsonb and int8 as strings: the reader takes either, as rows.ts does).
import { VulnerabilitySeverities } from '../../shared/conventions.js';
import type { NewScan, StoredScan } from '../scans/image-scan.js';
import type { Scanner } from '../scans/report-reader.js';
import { emptyCounts } from '../scans/scan-summary.js';
import type { Row, SqlValue } from './rows.js';

/** `critical_total, critical_fixable, high_total, ...`: one pair per severity. */
const CountColumns = VulnerabilitySeverities.flatMap((s) => [`${s}_total`, `${s}_fixable`]);

/** The columns a new scan gives values for, in scanValues() order (ami_version comes from images). */
export const ScanValueColumns = [
  'scanner',
  'scanner_version',
  'artifact_name',
  'artifact_type',
  'scanned_at_ms',
  'time_from_report',
  'received_at_ms',
  'findings',
  'distinct_count',
  ...CountColumns,
  'critical_ids',
] as const;

export function scanValues(scan: NewScan): SqlValue[] {
  const s = scan.summary;
  return [
    scan.scanner,
    scan.scannerVersion,
    scan.artifactName,
    scan.artifactType,
    Math.round(scan.scannedAtMs),
    scan.timeFromReport,
    Math.round(scan.receivedAtMs),
    s.findings,
    s.distinct,
    ...VulnerabilitySeverities.flatMap((sev) => [
      s.bySeverity[sev].total,
      s.bySeverity[sev].fixable,
    ]),
    JSON.stringify(s.criticalIds),
  ];
}

/**
 * `INSERT ... SELECT` from the image registry: the scan's AMI id and its version now, or no row.
 * `param(i, column)` writes the i-th placeholder (1-based) for a value of `column`: `?` for
 * SQLite, `$i` with a cast for PostgreSQL (which cannot infer types in a SELECT list). The AMI id
 * is the last value.
 */
export function insertScanSql(param: (i: number, column: string) => string): string {
  const values = ScanValueColumns.map((c, i) => param(i + 1, c));
  return (
    `INSERT INTO image_scans (ami_id, ami_version, ${ScanValueColumns.join(', ')}) ` +
    `SELECT ami_id, version, ${values.join(', ')} FROM images ` +
    `WHERE ami_id = ${param(ScanValueColumns.length + 1, 'ami_id')} RETURNING *`
  );
}

const TextColumns = new Set([
  'ami_id',
  'scanner',
  'scanner_version',
  'artifact_name',
  'artifact_type',
]);

/** The PostgreSQL type of a scan column (scan-schema.ts), for the casts of insertScanSql. */
export function pgScanType(column: string): string {
  if (TextColumns.has(column)) return 'text';
  if (column === 'time_from_report') return 'boolean';
  if (column === 'critical_ids') return 'jsonb';
  return 'bigint';
}

/** The latest scan of each version, by version. */
export const LatestScansSql = `SELECT * FROM (
    SELECT s.*, ROW_NUMBER() OVER (
      PARTITION BY ami_version ORDER BY scanned_at_ms DESC, scan_id DESC) AS latest_rank
    FROM image_scans s) ranked
  WHERE latest_rank = 1 ORDER BY ami_version`;

const num = (v: unknown): number => Number(v);
const textOrNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : String(v);

export function rowToScan(row: Row): StoredScan {
  const bySeverity = emptyCounts();
  for (const s of VulnerabilitySeverities) {
    bySeverity[s] = { total: num(row[`${s}_total`]), fixable: num(row[`${s}_fixable`]) };
  }
  const ids =
    typeof row.critical_ids === 'string' ? JSON.parse(row.critical_ids) : row.critical_ids;
  return {
    scanId: num(row.scan_id),
    amiId: String(row.ami_id),
    amiVersion: String(row.ami_version),
    scanner: String(row.scanner) as Scanner,
    scannerVersion: textOrNull(row.scanner_version),
    artifactName: textOrNull(row.artifact_name),
    artifactType: textOrNull(row.artifact_type),
    scannedAtMs: num(row.scanned_at_ms),
    timeFromReport: row.time_from_report === true || row.time_from_report === 1,
    receivedAtMs: num(row.received_at_ms),
    summary: {
      findings: num(row.findings),
      distinct: num(row.distinct_count),
      bySeverity,
      criticalIds: Array.isArray(ids) ? ids.map(String) : [],
    },
  };
}
