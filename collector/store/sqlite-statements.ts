// Every SQL statement of the SQLite store, prepared once per connection. Only column names are
// put together in code (from the constant lists in rows.ts); every value is a bound parameter.
import type Database from 'better-sqlite3';
import { CounterBucketColumns, CounterColumns } from './counter-storage.js';
import {
  BootColumns,
  BucketColumns,
  ChangeColumns,
  LaunchColumns,
  RollupColumns,
  badRollupCondition,
  type SqlValue,
} from './rows.js';

const RollupKeyColumns = RollupColumns.slice(0, 8);

function upsertSql(table: string, columns: readonly string[], keys: readonly string[]): string {
  const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${c} = excluded.${c}`);
  return (
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ` +
    `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${updates.join(', ')}`
  );
}

const addRollupSql =
  `INSERT INTO rollups (${RollupColumns.join(', ')}) ` +
  `VALUES (${RollupColumns.map(() => '?').join(', ')}) ` +
  `ON CONFLICT (${RollupKeyColumns.join(', ')}) DO UPDATE SET ` +
  ['count', 'ttr_sum_ms', ...BucketColumns]
    .map((c) => `${c} = rollups.${c} + excluded.${c}`)
    .join(', ');

const addCounterSql =
  `INSERT INTO counters (${CounterColumns.join(', ')}) ` +
  `VALUES (${CounterColumns.map(() => '?').join(', ')}) ` +
  'ON CONFLICT (replica_id, family, labels) DO UPDATE SET ' +
  ['value', ...CounterBucketColumns].map((c) => `${c} = counters.${c} + excluded.${c}`).join(', ');

/** better-sqlite3 binds no booleans. */
export function bind(values: SqlValue[]): (string | number | null)[] {
  return values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
}

export function prepareStatements(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    /** The boot, and (when the 3rd parameter is 1) a collector-decided boot it may replace. */
    bootAndReplaced: p(
      `SELECT * FROM boots WHERE instance_id = ?
         AND (boot_id = ? OR (boot_id = '' AND source = 'collector' AND ? = 1))`,
    ),
    hasAgentFirstBoot: p(
      `SELECT 1 FROM boots WHERE instance_id = ? AND first_boot = 1 AND source = 'agent' LIMIT 1`,
    ),
    deleteBoot: p('DELETE FROM boots WHERE instance_id = ? AND boot_id = ?'),
    putBoot: p(upsertSql('boots', BootColumns, ['instance_id', 'boot_id'])),
    getBoots: p('SELECT * FROM boots WHERE instance_id = ? ORDER BY outcome_at_ms, boot_id'),
    queryBoots: p(
      `SELECT * FROM boots
       WHERE (@version IS NULL OR ami_version = @version)
         AND (@outcome IS NULL OR outcome = @outcome)
         AND (@reason IS NULL OR reason = @reason)
         AND (@since IS NULL OR outcome_at_ms >= @since)
         AND (@at IS NULL OR (outcome_at_ms, instance_id, boot_id) < (@at, @instance, @boot))
       ORDER BY outcome_at_ms DESC, instance_id DESC, boot_id DESC
       LIMIT @limit`,
    ),
    pruneBoots: p('DELETE FROM boots WHERE outcome_at_ms < ?'),

    addRollup: p(addRollupSql),
    moveRollup: p(
      `UPDATE rollups SET ${['count', 'ttr_sum_ms', ...BucketColumns].map((c) => `${c} = ${c} + ?`).join(', ')}
       WHERE ${RollupKeyColumns.map((c) => `${c} = ?`).join(' AND ')}`,
    ),
    deleteEmptyRollup: p(
      `DELETE FROM rollups WHERE ${RollupKeyColumns.map((c) => `${c} = ?`).join(' AND ')} AND count = 0`,
    ),
    /** Raw mode: arrays in RollupColumns order (valuesToRollup). */
    rollups: p(
      `SELECT ${RollupColumns.join(', ')} FROM rollups WHERE minute_ms >= ? AND minute_ms < ?
       ORDER BY ${RollupKeyColumns.join(', ')}`,
    ).raw(true),
    /** Raw mode, as rollups: the rows with a bad boot only (store.ts, badRollups). */
    badRollups: p(
      `SELECT ${RollupColumns.join(', ')} FROM rollups WHERE minute_ms >= @from AND minute_ms < @to
         AND ${badRollupCondition((i) => `(${i} > @slowAbove)`)}
       ORDER BY ${RollupKeyColumns.join(', ')}`,
    ).raw(true),

    // The change feed (sqlite-feed.ts).
    addChange: p(
      `INSERT INTO rollup_changes (${ChangeColumns.join(', ')})
       VALUES (${ChangeColumns.map(() => '?').join(', ')})`,
    ),
    /** Raw mode: seq, then ChangeColumns. */
    changesAfter: p(
      `SELECT seq, ${ChangeColumns.join(', ')} FROM rollup_changes WHERE seq > ? ORDER BY seq`,
    ).raw(true),
    /** The highest seq ever handed out (AUTOINCREMENT keeps it when rows are pruned). */
    lastChange: p(`SELECT seq FROM sqlite_sequence WHERE name = 'rollup_changes'`).pluck(),
    changesPruned: p('SELECT through FROM rollup_changes_pruned WHERE id = 1').pluck(),
    firstChangeSince: p(
      'SELECT seq FROM rollup_changes WHERE at_ms >= ? ORDER BY seq LIMIT 1',
    ).pluck(),
    pruneChanges: p('DELETE FROM rollup_changes WHERE seq < ?'),
    markChangesPruned: p('UPDATE rollup_changes_pruned SET through = max(through, ?) WHERE id = 1'),

    groups: p(
      `SELECT DISTINCT ami_id, ami_version, region, asg, instance_type FROM rollups
       WHERE minute_ms >= ? ORDER BY ami_id, ami_version, region, asg, instance_type`,
    ),

    addCounter: p(addCounterSql),
    loadCounters: p(
      `SELECT family, labels, value, ${CounterBucketColumns.join(', ')} FROM counters
       WHERE replica_id = ?`,
    ),

    learnImage: p(
      `INSERT INTO images (ami_id, region, name, version, build, source, registered_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ami_id) DO NOTHING`,
    ),
    // The registry wins: an agent's word never overwrites a registry record.
    putImage: p(
      `INSERT INTO images (ami_id, region, name, version, build, source, registered_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ami_id) DO UPDATE SET
         region = excluded.region, name = excluded.name, version = excluded.version,
         build = excluded.build, source = excluded.source,
         registered_at_ms = excluded.registered_at_ms
       WHERE excluded.source = 'registry' OR images.source = 'agent'`,
    ),
    getImage: p('SELECT * FROM images WHERE ami_id = ?'),
    listImages: p('SELECT * FROM images ORDER BY ami_id'),

    insertEvent: p(
      `INSERT INTO events (event_id, instance_id, kind, at_ms, received_at_ms)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
    ),
    pruneEvents: p('DELETE FROM events WHERE received_at_ms < ?'),

    getLaunch: p('SELECT * FROM launches WHERE instance_id = ?'),
    putLaunch: p(upsertSql('launches', LaunchColumns, ['instance_id'])),
    markReported: p('UPDATE launches SET reported = 1 WHERE instance_id = ? AND reported = 0'),
    markDecided: p('UPDATE launches SET decided_at_ms = ? WHERE instance_id = ?'),
    sweepCandidates: p(
      `SELECT * FROM launches
       WHERE reported = 0 AND decided_at_ms IS NULL AND launched_at_ms IS NOT NULL
         AND (launched_at_ms <= @now - @deadline
              OR (terminated_at_ms IS NOT NULL AND terminated_at_ms <= @now))
       ORDER BY launched_at_ms, instance_id LIMIT @limit`,
    ),
    pruneLaunches: p(
      `DELETE FROM launches
       WHERE state IN ('terminated', 'launch_failed')
         AND (reported = 1 OR decided_at_ms IS NOT NULL OR launched_at_ms IS NULL)
         AND COALESCE(terminated_at_ms, launched_at_ms) < ?`,
    ),

    putHeartbeat: p(
      `INSERT INTO heartbeats (instance_id, ami_id, ami_version, region, asg, at_ms)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id) DO UPDATE SET
         ami_id = excluded.ami_id, ami_version = excluded.ami_version, region = excluded.region,
         asg = excluded.asg, at_ms = excluded.at_ms
       WHERE excluded.at_ms >= heartbeats.at_ms + ?`,
    ),
    coverage: p(
      `SELECT count(*) AS running, count(h.instance_id) AS heartbeating
       FROM launches l LEFT JOIN heartbeats h ON h.instance_id = l.instance_id AND h.at_ms >= ?
       WHERE l.launched_at_ms IS NOT NULL AND l.state IN ('launched', 'running')`,
    ),
    /** Old heartbeats, and those of instances that ended: coverage counts running instances only. */
    pruneHeartbeats: p(
      `DELETE FROM heartbeats WHERE at_ms < ?
         OR instance_id IN (SELECT instance_id FROM launches WHERE state IN ('terminated', 'launch_failed'))`,
    ),
  };
}

export type SqliteStatements = ReturnType<typeof prepareStatements>;
