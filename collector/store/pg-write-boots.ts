// bw_write_boots (migration 5): a batch of boot writes as one statement, so one transaction and
// one round trip, holding no lock between two round trips. The INSERT it runs is
// pg-boot-sql.ts's; around it, the instances' locks and the check that the stored boots the
// batch was planned against are still the ones stored (pg-writes.ts plans again when not).
import { type Param } from './pg-tx.js';
import {
  applyBoots,
  applyBootsParams,
  deltaParams,
  RollupDeltaTypes,
  RollupKeyColumns,
  type BootBatchRows,
} from './pg-boot-sql.js';
import type { RollupDelta } from './rollup-math.js';
import { BucketColumns } from './rows.js';

/**
 * bw_write_boots's parameters: the batch's boots ($1 instance ids, sorted; $2 boot ids; $3 whether
 * each may replace a collector verdict, an agent's first boot), what the plan saw ($4 the row
 * version, xmin, of the stored boot with the same key, '' for none, or NULL for "do not check":
 * the caller holds the locks and read under them; $5 the same for the verdict it replaces), the
 * rollup deltas that take counts away ($6-$16, sorted), then the INSERT's.
 */
const CheckTypes = ['text[]', 'text[]', 'boolean[]', 'text[]', 'text[]'];
const MovesAt = CheckTypes.length + 1;
const ApplyAt = MovesAt + RollupDeltaTypes.length;
const apply = applyBoots(ApplyAt);
const allTypes = [...CheckTypes, ...RollupDeltaTypes, ...apply.types];

const keyOf = (j: string) => RollupKeyColumns.map((c, i) => `${c} = $${MovesAt + i}[${j}]`);

/**
 * The instances whose stored boots are not what the batch was planned against, and their rows as
 * stored now: { instances, rows } as jsonb, or no row when every plan holds.
 */
const staleRows = `WITH k AS (SELECT * FROM unnest($1, $2, $3, $4, $5) AS k(i, bid, f, seen, seen_r)),
    cur AS (SELECT k.i, b, b.xmin::text AS v, b.boot_id = k.bid AS same FROM k
            JOIN boots b ON b.instance_id = k.i
              AND (b.boot_id = k.bid OR (k.f AND b.boot_id = '' AND b.source = 'collector'))),
    bad AS (SELECT k.i FROM k
            WHERE coalesce((SELECT v FROM cur WHERE cur.i = k.i AND cur.same), '') <> k.seen
               OR (k.f AND coalesce((SELECT v FROM cur WHERE cur.i = k.i AND NOT cur.same), '')
                           <> k.seen_r))
    SELECT jsonb_build_object(
      'instances', (SELECT jsonb_agg(i) FROM bad),
      'rows', (SELECT coalesce(jsonb_agg(to_jsonb(cur.b) || jsonb_build_object('row_version', cur.v)), '[]')
               FROM cur WHERE cur.i IN (SELECT i FROM bad)))
    WHERE EXISTS (SELECT 1 FROM bad)`;

/**
 * A batch of boot writes as one statement (one transaction, one round trip):
 * 1. the instances' advisory locks, in the order given (sorted), so that batches never deadlock;
 *    a sweeper deciding one of these instances holds it too, so what follows sees its verdict;
 * 2. with a new snapshot (each statement of a VOLATILE function takes one), the stored boots the
 *    batch was planned against: if any changed, their current rows go back and nothing is
 *    written (the caller plans those boots again and calls again);
 * 3. the launches of agents' first boots marked reported, the rollup moves one row at a time in
 *    the order given, the INSERT, then the rollup rows the moves emptied deleted.
 * Lock order, as every writer: instance locks, launch rows, shared rows (sorted), boot rows.
 *
 * Plans: generic ones, made once per connection (a custom plan of the INSERT cost about as much
 * as running it, for the batches of a few reports that 16 agents at once make). A generic plan
 * is made for whatever the tables hold then, empty on a new database, and kept: so the planner
 * may not scan a table or hash it, which would be right for an empty table and wrong for ever
 * after. Every statement here looks a batch's rows up by key: index lookups are right at every
 * size (test/collector/store/pg-plans.test.ts).
 */
export const WriteBootsFunctionSql = `CREATE FUNCTION bw_write_boots(${allTypes.join(', ')})
  RETURNS jsonb LANGUAGE plpgsql VOLATILE
  SET plan_cache_mode = force_generic_plan SET enable_seqscan = off
  SET enable_hashjoin = off SET enable_mergejoin = off
  AS $fn$
  DECLARE
    stale jsonb;
  BEGIN
    PERFORM count(pg_advisory_xact_lock(hashtext(current_schema() || ':bootwatch:instance'),
                                        hashtext(k)))
      FROM (SELECT k FROM unnest($1) WITH ORDINALITY AS u(k, i) ORDER BY i) s;
    IF $4 IS NOT NULL THEN
      ${staleRows} INTO stale;
      IF stale IS NOT NULL THEN
        RETURN stale;
      END IF;
    END IF;
    UPDATE launches SET reported = true
      WHERE instance_id IN (SELECT k FROM unnest($1, $3) AS u(k, f) WHERE f) AND NOT reported;
    FOR j IN 1 .. coalesce(array_length($${MovesAt}, 1), 0) LOOP
      UPDATE rollups SET ${['count', 'ttr_sum_ms', ...BucketColumns]
        .map((c, i) =>
          i < 2
            ? `${c} = ${c} + $${MovesAt + 8 + i}[j]`
            : `${c} = ${c} + $${MovesAt + 10}[(j - 1) * ${BucketColumns.length} + ${i - 1}]`,
        )
        .join(', ')}
        WHERE ${keyOf('j').join(' AND ')};
    END LOOP;
    ${apply.sql(ApplyAt)};
    DELETE FROM rollups r USING unnest(${RollupKeyColumns.map((_, i) => `$${MovesAt + i}`).join(', ')})
        AS m(${RollupKeyColumns.map((c) => `m_${c}`).join(', ')})
      WHERE ${RollupKeyColumns.map((c) => `r.${c} = m.m_${c}`).join(' AND ')} AND r.count = 0;
    RETURN NULL;
  END
  $fn$`;

/** The call, as a prepared statement: every parameter typed as the function declares it. */
export const WriteBootsSql = `SELECT bw_write_boots(${allTypes.map((t, i) => `$${i + 1}::${t}`).join(', ')}) AS stale`;

/** One boot of a batch as bw_write_boots locks and checks it. */
export interface BootCheck {
  instanceId: string;
  bootId: string;
  /** An agent's first boot: it replaces a collector verdict of its instance, and marks the launch reported. */
  mayReplace: boolean;
  /** The row version (xmin) of the stored boot with this key that the plan saw; '' for none. */
  seen: string;
  /** The same for the collector verdict it replaces. */
  seenReplaced: string;
}

/**
 * The parameters of WriteBootsSql. `checks` in instance order (the lock order); `verify` false
 * when the caller already holds the instances' locks and planned from rows read under them;
 * `moves`, the rollup deltas that take counts away (a correction), sorted.
 */
export function writeBootsParams(
  replicaId: string,
  checks: readonly BootCheck[],
  verify: boolean,
  moves: readonly RollupDelta[],
  b: BootBatchRows,
): Param[] {
  return [
    checks.map((c) => c.instanceId),
    checks.map((c) => c.bootId),
    checks.map((c) => c.mayReplace),
    verify ? checks.map((c) => c.seen) : null,
    verify ? checks.map((c) => c.seenReplaced) : null,
    ...deltaParams(moves),
    ...applyBootsParams(replicaId, b),
  ];
}
