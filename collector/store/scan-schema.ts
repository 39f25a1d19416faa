// Schema version 4, image scans, for both engines: one row per scan with its counts (scan-rows.ts),
// never the report. Written out in full, not derived from constants: frozen once released, like
// every migration (a later change is a new version).
const counts = (integer: string) =>
  ['critical', 'high', 'medium', 'low', 'unknown']
    .map((s) => `${s}_total ${integer} NOT NULL, ${s}_fixable ${integer} NOT NULL`)
    .join(',\n        ');

export const SqliteScanMigration = {
  version: 4,
  name: 'image scans',
  statements: [
    `CREATE TABLE image_scans (
        scan_id INTEGER PRIMARY KEY,
        ami_id TEXT NOT NULL,
        ami_version TEXT NOT NULL,
        scanner TEXT NOT NULL CHECK (scanner IN ('trivy', 'grype')),
        scanner_version TEXT,
        artifact_name TEXT,
        artifact_type TEXT,
        scanned_at_ms INTEGER NOT NULL,
        time_from_report INTEGER NOT NULL CHECK (time_from_report IN (0, 1)),
        received_at_ms INTEGER NOT NULL,
        findings INTEGER NOT NULL,
        distinct_count INTEGER NOT NULL,
        ${counts('INTEGER')},
        critical_ids TEXT NOT NULL
      ) STRICT`,
    `CREATE INDEX image_scans_by_version ON image_scans (ami_version, scanned_at_ms, scan_id)`,
  ],
};

export const PgScanMigration = {
  version: 4,
  name: 'image scans',
  statements: [
    `CREATE TABLE image_scans (
        scan_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        ami_id text COLLATE "C" NOT NULL,
        ami_version text COLLATE "C" NOT NULL,
        scanner text NOT NULL CHECK (scanner IN ('trivy', 'grype')),
        scanner_version text,
        artifact_name text,
        artifact_type text,
        scanned_at_ms bigint NOT NULL,
        time_from_report boolean NOT NULL,
        received_at_ms bigint NOT NULL,
        findings bigint NOT NULL,
        distinct_count bigint NOT NULL,
        ${counts('bigint')},
        critical_ids jsonb NOT NULL
      )`,
    `CREATE INDEX image_scans_by_version ON image_scans (ami_version, scanned_at_ms, scan_id)`,
  ],
};
