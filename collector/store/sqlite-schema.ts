// The SQLite schema, as numbered migrations. A migration's text never changes once released: a
// change is a new version. Each runs in its own transaction with its row in schema_migrations.
import { counterSeriesMigration, SqliteDialect } from './counter-migration.js';
import { BucketColumns } from './rows.js';
import { SqliteRolloutMigration } from './rollout-schema.js';
import { SqliteScanMigration } from './scan-schema.js';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const FleetScaleMigration =
  'fleet scale: boot batches in one statement, running launches indexed';

/** The launches coverage counts: an index of their own, so that ended launches cost it nothing. */
export const RunningLaunchesIndex = `CREATE INDEX launches_running ON launches (instance_id)
  WHERE launched_at_ms IS NOT NULL AND state IN ('launched', 'running')`;

const bucketColumns = BucketColumns.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(', ');

export const SqliteMigrations: Migration[] = [
  {
    version: 1,
    name: 'boots, launches, events, images, rollups, counters, heartbeats',
    statements: [
      `CREATE TABLE boots (
        instance_id TEXT NOT NULL,
        boot_id TEXT NOT NULL,
        first_boot INTEGER NOT NULL CHECK (first_boot IN (0, 1)),
        launched_at TEXT NOT NULL,
        launched_at_ms INTEGER NOT NULL,
        kernel_started_at TEXT,
        ami_id TEXT NOT NULL,
        ami_name TEXT,
        ami_version TEXT NOT NULL,
        account_id TEXT,
        region TEXT NOT NULL,
        availability_zone TEXT,
        instance_type TEXT NOT NULL,
        asg TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
        reason TEXT NOT NULL,
        time_to_ready_seconds REAL NOT NULL CHECK (time_to_ready_seconds >= 0),
        phases TEXT NOT NULL,
        failure_detail TEXT,
        source TEXT NOT NULL CHECK (source IN ('agent', 'collector')),
        received_at_ms INTEGER NOT NULL,
        outcome_at_ms INTEGER NOT NULL,
        PRIMARY KEY (instance_id, boot_id)
      ) STRICT`,
      `CREATE INDEX boots_by_outcome_time ON boots (outcome_at_ms, instance_id, boot_id)`,
      `CREATE TABLE launches (
        instance_id TEXT PRIMARY KEY,
        launched_at_ms INTEGER,
        ami_id TEXT,
        region TEXT,
        account_id TEXT,
        instance_type TEXT,
        availability_zone TEXT,
        asg TEXT,
        state TEXT NOT NULL
          CHECK (state IN ('launched', 'running', 'launch_failed', 'terminated')),
        terminated_at_ms INTEGER,
        reported INTEGER NOT NULL CHECK (reported IN (0, 1)),
        decided_at_ms INTEGER,
        status_message TEXT
      ) STRICT`,
      `CREATE INDEX launches_unsettled ON launches (launched_at_ms)
        WHERE reported = 0 AND decided_at_ms IS NULL`,
      `CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL,
        kind TEXT NOT NULL
          CHECK (kind IN ('launched', 'launch_failed', 'running', 'terminated', 'other')),
        at_ms INTEGER NOT NULL,
        received_at_ms INTEGER NOT NULL
      ) STRICT`,
      `CREATE INDEX events_by_received ON events (received_at_ms)`,
      `CREATE TABLE images (
        ami_id TEXT PRIMARY KEY,
        region TEXT,
        name TEXT,
        version TEXT NOT NULL,
        build TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('registry', 'agent')),
        registered_at_ms INTEGER NOT NULL
      ) STRICT`,
      `CREATE TABLE rollups (
        minute_ms INTEGER NOT NULL,
        ami_id TEXT NOT NULL,
        ami_version TEXT NOT NULL,
        region TEXT NOT NULL,
        asg TEXT NOT NULL,
        instance_type TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        count INTEGER NOT NULL CHECK (count >= 0),
        ttr_sum_ms INTEGER NOT NULL,
        ${bucketColumns},
        PRIMARY KEY (minute_ms, ami_id, ami_version, region, asg, instance_type, outcome, reason)
      ) STRICT, WITHOUT ROWID`,
      `CREATE TABLE counters (
        replica_id TEXT NOT NULL,
        name TEXT NOT NULL,
        labels TEXT NOT NULL,
        value REAL NOT NULL CHECK (value >= 0),
        PRIMARY KEY (replica_id, name, labels)
      ) STRICT, WITHOUT ROWID`,
      `CREATE TABLE heartbeats (
        instance_id TEXT PRIMARY KEY,
        ami_id TEXT NOT NULL,
        ami_version TEXT NOT NULL,
        region TEXT NOT NULL,
        asg TEXT NOT NULL,
        at_ms INTEGER NOT NULL
      ) STRICT`,
    ],
  },
  {
    version: 2,
    name: 'counters: one row per series, histogram buckets as columns',
    statements: counterSeriesMigration(SqliteDialect),
  },
  {
    version: 3,
    name: 'rollup change feed',
    // One row per first boot entering (+1) or leaving (-1) a rollup row, written in the same
    // transaction as the rollup (change-feed.ts says how the SLO engine reads it). AUTOINCREMENT:
    // a seq is never handed out twice, even after every row was pruned, so a reader's position
    // stays meaningful. `through`: the highest seq pruned, so a reader that fell behind it knows.
    statements: [
      `CREATE TABLE rollup_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        minute_ms INTEGER NOT NULL,
        ami_id TEXT NOT NULL,
        ami_version TEXT NOT NULL,
        region TEXT NOT NULL,
        asg TEXT NOT NULL,
        instance_type TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        sign INTEGER NOT NULL CHECK (sign IN (-1, 1)),
        ttr_seconds REAL NOT NULL,
        at_ms INTEGER NOT NULL
      ) STRICT`,
      `CREATE TABLE rollup_changes_pruned (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        through INTEGER NOT NULL
      ) STRICT`,
      `INSERT INTO rollup_changes_pruned (id, through) VALUES (1, 0)`,
    ],
  },
  SqliteScanMigration,
  {
    version: 5,
    name: FleetScaleMigration,
    statements: [RunningLaunchesIndex],
  },
  SqliteRolloutMigration,
];
