// Every SQL statement of the PostgreSQL store, as named (server-side prepared) statements. Only
// column names are put together in code; every value is a $n parameter. Batches go in as arrays
// through unnest, so that a batch is one round trip.
import { CounterBucketColumns } from './counter-storage.js';
import { AddCountersSql } from './pg-boot-sql.js';
import { WriteBootsSql } from './pg-write-boots.js';
import { badRollupCondition, ChangeColumns, LaunchColumns, RollupColumns } from './rows.js';

/** The PostgreSQL type of each launch column, for the arrays of a multi-row upsert. */
const LaunchColumnTypes: Record<(typeof LaunchColumns)[number], string> = {
  instance_id: 'text',
  launched_at_ms: 'bigint',
  ami_id: 'text',
  region: 'text',
  account_id: 'text',
  instance_type: 'text',
  availability_zone: 'text',
  asg: 'text',
  state: 'text',
  terminated_at_ms: 'bigint',
  reported: 'boolean',
  decided_at_ms: 'bigint',
  status_message: 'text',
};

export interface NamedSql {
  name: string;
  text: string;
}

const sql = (name: string, text: string): NamedSql => ({ name: `bw_${name}`, text });
const RollupKeyColumns = RollupColumns.slice(0, 8);

/**
 * Advisory lock keys are two int4: a namespace and an id. The namespace includes the schema, so
 * that stores in different schemas of one database (test runs, tenants) never block each other.
 * An instance's lock serialises every write about it (reports, events, sweeps) across replicas;
 * bw_write_boots (pg-write-boots.ts) takes the same key.
 */
const instanceNs = `hashtext(current_schema() || ':bootwatch:instance')`;
const globalNs = `hashtext(current_setting('search_path') || ':bootwatch:global')`;
export const MigrateLockId = 1;
export const SweepLockId = 2;

export const Sql = {
  lockGlobal: sql('lock_global', `SELECT pg_advisory_xact_lock(${globalNs}, $1)`),
  tryLockGlobal: sql('try_lock_global', `SELECT pg_try_advisory_xact_lock(${globalNs}, $1) AS ok`),
  /** Taken in the order given (the caller sorts), so that two batches never deadlock. */
  lockInstances: sql(
    'lock_instances',
    `SELECT count(pg_advisory_xact_lock(${instanceNs}, hashtext(k)))
     FROM (SELECT k FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i) s`,
  ),
  tryLockInstances: sql(
    'try_lock_instances',
    `SELECT k AS instance_id FROM unnest($1::text[]) AS u(k)
     WHERE pg_try_advisory_xact_lock(${instanceNs}, hashtext(k))`,
  ),

  collectorBoots: sql(
    'collector_boots',
    `SELECT * FROM boots WHERE instance_id = ANY($1::text[]) AND boot_id = ''`,
  ),
  agentFirstBoots: sql(
    'agent_first_boots',
    `SELECT DISTINCT instance_id FROM boots
     WHERE instance_id = ANY($1::text[]) AND first_boot AND source = 'agent'`,
  ),
  /** A batch of boot writes, checked against what it was planned from (pg-write-boots.ts). */
  writeBoots: sql('write_boots', WriteBootsSql),
  getBoots: sql(
    'get_boots',
    'SELECT * FROM boots WHERE instance_id = $1 ORDER BY outcome_at_ms, boot_id',
  ),
  queryBoots: sql(
    'query_boots',
    `SELECT * FROM boots
     WHERE ($1::text IS NULL OR ami_version = $1)
       AND ($2::text IS NULL OR outcome = $2)
       AND ($3::text IS NULL OR reason = $3)
       AND ($4::bigint IS NULL OR outcome_at_ms >= $4)
       AND ($5::bigint IS NULL OR (outcome_at_ms, instance_id, boot_id) < ($5, $6::text, $7::text))
     ORDER BY outcome_at_ms DESC, instance_id DESC, boot_id DESC
     LIMIT $8`,
  ),
  pruneBoots: sql('prune_boots', 'DELETE FROM boots WHERE outcome_at_ms < $1'),

  rollups: sql(
    'rollups',
    `SELECT * FROM rollups WHERE minute_ms >= $1 AND minute_ms < $2
     ORDER BY ${RollupKeyColumns.join(', ')}`,
  ),
  badRollups: sql(
    'bad_rollups',
    `SELECT * FROM rollups WHERE minute_ms >= $1 AND minute_ms < $2
       AND ${badRollupCondition((i) => `(${i} > $3::int)::int`)}
     ORDER BY ${RollupKeyColumns.join(', ')}`,
  ),
  // The change feed (pg-feed.ts). The snapshot is the transaction's (REPEATABLE READ).
  feedSnapshot: sql(
    'feed_snapshot',
    `SELECT pg_current_snapshot()::text AS snap,
            (SELECT txid::text FROM rollup_changes_pruned WHERE id = 1) AS pruned`,
  ),
  changesFrom: sql(
    'changes_from',
    `SELECT seq, txid::text AS txid, ${ChangeColumns.join(', ')} FROM rollup_changes
     WHERE txid >= $1::xid8`,
  ),
  rollupsIn: sql(
    'rollups_in',
    `SELECT r.* FROM rollups r
     JOIN unnest($1::bigint[], $2::bigint[]) AS q(lo, hi) ON r.minute_ms >= q.lo AND r.minute_ms < q.hi`,
  ),
  // By seq, which follows the recording time closely: the scan stops at the first row to keep.
  // Only rows of transactions below the snapshot's xmin: a reader that read a row while older
  // transactions still ran keeps it above its watermark (pg-feed.ts), and deleting it before the
  // reader's next read would make the reader believe it lost it. Rows left go at a later prune.
  pruneChanges: sql(
    'prune_changes',
    `WITH keep AS (SELECT seq FROM rollup_changes WHERE at_ms >= $1 ORDER BY seq LIMIT 1),
     d AS (DELETE FROM rollup_changes
           WHERE seq < COALESCE((SELECT seq FROM keep), 9223372036854775807)
             AND txid < pg_snapshot_xmin(pg_current_snapshot())
           RETURNING txid),
     top AS (SELECT txid FROM d ORDER BY txid DESC LIMIT 1),
     u AS (UPDATE rollup_changes_pruned p SET txid = greatest(p.txid, top.txid)
           FROM top WHERE p.id = 1)
     SELECT count(*)::int AS deleted FROM d`,
  ),
  groups: sql(
    'groups',
    `SELECT DISTINCT ami_id, ami_version, region, asg, instance_type FROM rollups
     WHERE minute_ms >= $1 ORDER BY ami_id, ami_version, region, asg, instance_type`,
  ),

  addCounters: sql('add_counters', AddCountersSql),
  loadCounters: sql(
    'load_counters',
    `SELECT family, labels, value, ${CounterBucketColumns.join(', ')} FROM counters
     WHERE replica_id = $1`,
  ),

  // The registry wins: an agent's word never overwrites a registry record.
  putImage: sql(
    'put_image',
    `INSERT INTO images (ami_id, region, name, version, build, source, registered_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ami_id) DO UPDATE SET
       region = excluded.region, name = excluded.name, version = excluded.version,
       build = excluded.build, source = excluded.source, registered_at_ms = excluded.registered_at_ms
     WHERE excluded.source = 'registry' OR images.source = 'agent'`,
  ),
  getImage: sql('get_image', 'SELECT * FROM images WHERE ami_id = $1'),
  listImages: sql('list_images', 'SELECT * FROM images ORDER BY ami_id'),
  versions: sql('versions', 'SELECT ami_id, version FROM images WHERE ami_id = ANY($1::text[])'),

  insertEvents: sql(
    'insert_events',
    `INSERT INTO events (event_id, instance_id, kind, at_ms, received_at_ms)
     SELECT e, i, k, a, r
     FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
       WITH ORDINALITY AS t(e, i, k, a, r, n) ORDER BY n
     ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
  ),
  pruneEvents: sql('prune_events', 'DELETE FROM events WHERE received_at_ms < $1'),

  getLaunch: sql('get_launch', 'SELECT * FROM launches WHERE instance_id = $1'),
  getLaunches: sql('get_launches', 'SELECT * FROM launches WHERE instance_id = ANY($1::text[])'),
  /** Launch rows, one array per column, in the order given (sorted: the lock order). */
  putLaunches: sql(
    'put_launches',
    `INSERT INTO launches (${LaunchColumns.join(', ')})
     SELECT ${LaunchColumns.map((c) => `c_${c}`).join(', ')}
     FROM unnest(${LaunchColumns.map((c, i) => `$${i + 1}::${LaunchColumnTypes[c]}[]`).join(', ')})
       WITH ORDINALITY AS t(${LaunchColumns.map((c) => `c_${c}`).join(', ')}, n) ORDER BY n
     ON CONFLICT (instance_id) DO UPDATE SET ${LaunchColumns.filter((c) => c !== 'instance_id')
       .map((c) => `${c} = excluded.${c}`)
       .join(', ')}`,
  ),
  markAllReported: sql(
    'mark_all_reported',
    'UPDATE launches SET reported = true WHERE instance_id = ANY($1::text[])',
  ),
  markDecided: sql(
    'mark_decided',
    'UPDATE launches SET decided_at_ms = $1 WHERE instance_id = ANY($2::text[])',
  ),
  /** Rows a report is writing right now are skipped: that report settles them. */
  sweepCandidates: sql(
    'sweep_candidates',
    `SELECT * FROM launches
     WHERE NOT reported AND decided_at_ms IS NULL AND launched_at_ms IS NOT NULL
       AND (launched_at_ms <= $1::bigint - $2::bigint
            OR (terminated_at_ms IS NOT NULL AND terminated_at_ms <= $1::bigint))
     ORDER BY launched_at_ms, instance_id LIMIT $3
     FOR UPDATE SKIP LOCKED`,
  ),
  pruneLaunches: sql(
    'prune_launches',
    `DELETE FROM launches
     WHERE state IN ('terminated', 'launch_failed')
       AND (reported OR decided_at_ms IS NOT NULL OR launched_at_ms IS NULL)
       AND COALESCE(terminated_at_ms, launched_at_ms) < $1`,
  ),

  /**
   * A heartbeat is written unless its instance's stored one is less than $7 ms older: read
   * first, so that a skipped heartbeat takes no row lock and writes no WAL (an upsert's WHERE
   * would lock the row). Concurrent writers of one instance still meet in the upsert.
   */
  putHeartbeats: sql(
    'put_heartbeats',
    `INSERT INTO heartbeats (instance_id, ami_id, ami_version, region, asg, at_ms)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
       AS b(i, a, v, r, g, t)
     WHERE NOT EXISTS (SELECT 1 FROM heartbeats h WHERE h.instance_id = b.i AND h.at_ms > b.t - $7)
     ON CONFLICT (instance_id) DO UPDATE SET
       ami_id = excluded.ami_id, ami_version = excluded.ami_version, region = excluded.region,
       asg = excluded.asg, at_ms = excluded.at_ms
     WHERE excluded.at_ms >= heartbeats.at_ms`,
  ),
  coverage: sql(
    'coverage',
    `SELECT count(*) AS running, count(h.instance_id) AS heartbeating
     FROM launches l LEFT JOIN heartbeats h ON h.instance_id = l.instance_id AND h.at_ms >= $1
     WHERE l.launched_at_ms IS NOT NULL AND l.state IN ('launched', 'running')`,
  ),
  /** Old heartbeats, and those of instances that ended: coverage counts running instances only. */
  pruneHeartbeats: sql(
    'prune_heartbeats',
    `DELETE FROM heartbeats WHERE at_ms < $1
       OR instance_id IN (SELECT instance_id FROM launches WHERE state IN ('terminated', 'launch_failed'))`,
  ),
} as const;
