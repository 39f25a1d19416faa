// The PostgreSQL schema: the same tables as sqlite-schema.ts in PostgreSQL types. Text keys use
// COLLATE "C" so that rows sort byte-wise, exactly as in SQLite, whatever the database locale:
// both engines then page and list in the same order. Frozen once released, like the SQLite one.
import { counterSeriesMigration, PgDialect } from './counter-migration.js';
import { WriteBootsFunctionSql } from './pg-write-boots.js';
import { BucketColumns } from './rows.js';
import { FleetScaleMigration, RunningLaunchesIndex, type Migration } from './sqlite-schema.js';
import { PgRolloutMigration } from './rollout-schema.js';
import { PgScanMigration } from './scan-schema.js';

const bucketColumns = BucketColumns.map((c) => `${c} bigint NOT NULL DEFAULT 0`).join(', ');

/**
 * One round trip for what a batch of reports does before it plans: take the instances' advisory
 * locks (in the order given: the caller sorts), mark the launches of first boots reported (their
 * rows locked before any shared row, as every writer does), then read the boots with a snapshot
 * taken after both (a volatile function's statements each take their own). The read then sees
 * whatever a writer holding one of these locks committed: a sweeper's verdict, another replica's
 * report. The lock key is the one pg-sql.ts builds (instanceNs, hashtext(instance id)).
 */
const LockAndReadBoots = `CREATE FUNCTION bw_lock_and_read_boots(
    ids text[], boot_ids text[], first_boot boolean[]) RETURNS SETOF boots
  LANGUAGE plpgsql VOLATILE AS $fn$
  BEGIN
    PERFORM count(pg_advisory_xact_lock(hashtext(current_schema() || ':bootwatch:instance'),
                                        hashtext(k)))
      FROM (SELECT k FROM unnest(ids) WITH ORDINALITY AS u(k, i) ORDER BY i) s;
    UPDATE launches SET reported = true
      WHERE instance_id IN (SELECT k FROM unnest(ids, first_boot) AS u(k, f) WHERE f)
        AND NOT reported;
    RETURN QUERY SELECT b.* FROM unnest(ids, boot_ids, first_boot) AS k(i, bid, f)
      JOIN boots b ON b.instance_id = k.i
        AND (b.boot_id = k.bid OR (b.boot_id = '' AND b.source = 'collector' AND k.f));
  END
  $fn$`;

export const PgMigrations: Migration[] = [
  {
    version: 1,
    name: 'boots, launches, events, images, rollups, counters, heartbeats',
    statements: [
      `CREATE TABLE boots (
        instance_id text COLLATE "C" NOT NULL,
        boot_id text COLLATE "C" NOT NULL,
        first_boot boolean NOT NULL,
        launched_at text NOT NULL,
        launched_at_ms bigint NOT NULL,
        kernel_started_at text,
        ami_id text NOT NULL,
        ami_name text,
        ami_version text COLLATE "C" NOT NULL,
        account_id text,
        region text NOT NULL,
        availability_zone text,
        instance_type text NOT NULL,
        asg text,
        outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
        reason text NOT NULL,
        time_to_ready_seconds double precision NOT NULL CHECK (time_to_ready_seconds >= 0),
        phases jsonb NOT NULL,
        failure_detail text,
        source text NOT NULL CHECK (source IN ('agent', 'collector')),
        received_at_ms bigint NOT NULL,
        outcome_at_ms bigint NOT NULL,
        PRIMARY KEY (instance_id, boot_id)
      )`,
      `CREATE INDEX boots_by_outcome_time ON boots (outcome_at_ms, instance_id, boot_id)`,
      `CREATE TABLE launches (
        instance_id text COLLATE "C" PRIMARY KEY,
        launched_at_ms bigint,
        ami_id text,
        region text,
        account_id text,
        instance_type text,
        availability_zone text,
        asg text,
        state text NOT NULL
          CHECK (state IN ('launched', 'running', 'launch_failed', 'terminated')),
        terminated_at_ms bigint,
        reported boolean NOT NULL,
        decided_at_ms bigint,
        status_message text
      )`,
      `CREATE INDEX launches_unsettled ON launches (launched_at_ms)
        WHERE NOT reported AND decided_at_ms IS NULL`,
      `CREATE TABLE events (
        event_id text COLLATE "C" PRIMARY KEY,
        instance_id text NOT NULL,
        kind text NOT NULL
          CHECK (kind IN ('launched', 'launch_failed', 'running', 'terminated', 'other')),
        at_ms bigint NOT NULL,
        received_at_ms bigint NOT NULL
      )`,
      `CREATE INDEX events_by_received ON events (received_at_ms)`,
      `CREATE TABLE images (
        ami_id text COLLATE "C" PRIMARY KEY,
        region text,
        name text,
        version text NOT NULL,
        build jsonb NOT NULL,
        source text NOT NULL CHECK (source IN ('registry', 'agent')),
        registered_at_ms bigint NOT NULL
      )`,
      `CREATE TABLE rollups (
        minute_ms bigint NOT NULL,
        ami_id text COLLATE "C" NOT NULL,
        ami_version text COLLATE "C" NOT NULL,
        region text COLLATE "C" NOT NULL,
        asg text COLLATE "C" NOT NULL,
        instance_type text COLLATE "C" NOT NULL,
        outcome text COLLATE "C" NOT NULL,
        reason text COLLATE "C" NOT NULL,
        count bigint NOT NULL CHECK (count >= 0),
        ttr_sum_ms bigint NOT NULL,
        ${bucketColumns},
        PRIMARY KEY (minute_ms, ami_id, ami_version, region, asg, instance_type, outcome, reason)
      )`,
      `CREATE TABLE counters (
        replica_id text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        labels text COLLATE "C" NOT NULL,
        value double precision NOT NULL CHECK (value >= 0),
        PRIMARY KEY (replica_id, name, labels)
      )`,
      `CREATE TABLE heartbeats (
        instance_id text COLLATE "C" PRIMARY KEY,
        ami_id text NOT NULL,
        ami_version text NOT NULL,
        region text NOT NULL,
        asg text NOT NULL,
        at_ms bigint NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'counters: one row per series, histogram buckets as columns',
    statements: [...counterSeriesMigration(PgDialect), LockAndReadBoots],
  },
  {
    version: 3,
    name: 'rollup change feed',
    // As in SQLite, plus the writing transaction's id: seq values are handed out before commit,
    // so they do not come in commit order across transactions; txid with the reader's snapshot
    // tells which rows can still appear (pg-feed.ts). The index serves "txid >= watermark".
    statements: [
      `CREATE TABLE rollup_changes (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        minute_ms bigint NOT NULL,
        ami_id text COLLATE "C" NOT NULL,
        ami_version text COLLATE "C" NOT NULL,
        region text COLLATE "C" NOT NULL,
        asg text COLLATE "C" NOT NULL,
        instance_type text COLLATE "C" NOT NULL,
        outcome text COLLATE "C" NOT NULL,
        reason text COLLATE "C" NOT NULL,
        sign smallint NOT NULL CHECK (sign IN (-1, 1)),
        ttr_seconds double precision NOT NULL,
        at_ms bigint NOT NULL
      )`,
      `CREATE INDEX rollup_changes_by_txid ON rollup_changes (txid)`,
      `CREATE TABLE rollup_changes_pruned (
        id integer PRIMARY KEY CHECK (id = 1),
        txid xid8 NOT NULL
      )`,
      `INSERT INTO rollup_changes_pruned (id, txid) VALUES (1, '0')`,
    ],
  },
  PgScanMigration,
  {
    version: 5,
    name: FleetScaleMigration,
    // bw_write_boots (pg-write-boots.ts): a batch of boot writes in one statement, one round trip.
    // Its text comes from the same pieces as the statement it replaces; a test pins it, since a
    // released migration never changes. Coverage counts running launches through their own
    // index instead of scanning every launch kept for the retention period. Heartbeats are one
    // row per instance, rewritten every few minutes: a fifth of each page left free, so that a
    // rewrite finds room on its page (a HOT update: no index entry, no new page). Not more: each
    // page of the table is written whole to the WAL once after every checkpoint.
    statements: [
      WriteBootsFunctionSql,
      RunningLaunchesIndex,
      'ALTER TABLE heartbeats SET (fillfactor = 80)',
    ],
  },
  PgRolloutMigration,
];
