// How a batch of boot writes reaches PostgreSQL in one round trip. The rows the batch shares
// (rollup rows, counter series, images), the collector verdicts it replaces, the boots it writes
// and the change feed rows go in as data-modifying CTEs of one INSERT; rows as one array per
// column (unnest), a fixed-width group of columns (bucket counts) as one flat array, `width`
// entries per row, picked out by the row's ordinality `n`. Rows are inserted in the order given
// (ORDER BY n): the caller sorts shared rows, so that writers lock them in one order. PostgreSQL
// runs the CTEs after the main INSERT, in one order for every execution, which is all lock
// ordering needs. Every value is a $n parameter.
// That INSERT runs inside bw_write_boots (pg-write-boots.ts).
import { CounterBucketCount } from './counter-families.js';
import { bucketsOf, CounterBucketColumns, valueOf } from './counter-storage.js';
import type { Param } from './pg-tx.js';
import type { RollupChange, RollupDelta } from './rollup-math.js';
import {
  BootColumns,
  bootValues,
  BucketColumns,
  ChangeColumns,
  changeValues,
  ms,
  RollupColumns,
  rollupValues,
  type SqlValue,
} from './rows.js';
import type { StoredBoot } from '../model.js';
import { SharedRows } from './shared-rows.js';
import type { CounterDelta } from './store.js';

/** The PostgreSQL type of each boot column, for the arrays of a multi-row insert. */
const BootColumnTypes: Record<(typeof BootColumns)[number], string> = {
  instance_id: 'text',
  boot_id: 'text',
  first_boot: 'boolean',
  launched_at: 'text',
  launched_at_ms: 'bigint',
  kernel_started_at: 'text',
  ami_id: 'text',
  ami_name: 'text',
  ami_version: 'text',
  account_id: 'text',
  region: 'text',
  availability_zone: 'text',
  instance_type: 'text',
  asg: 'text',
  outcome: 'text',
  reason: 'text',
  time_to_ready_seconds: 'float8',
  phases: 'jsonb',
  failure_detail: 'text',
  source: 'text',
  received_at_ms: 'bigint',
  outcome_at_ms: 'bigint',
};

const arrays = (types: readonly string[]) => types.map((t) => `${t}[]`);
export const RollupKeyColumns = RollupColumns.slice(0, 8);
const RollupKeyTypes = ['bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text'];
/** A rollup delta: the 8 key columns, count, ttr_sum_ms, then the buckets flat. */
export const RollupDeltaTypes = arrays([...RollupKeyTypes, 'bigint', 'bigint', 'bigint']);

export interface Piece {
  sql: (at: number) => string;
  /** The PostgreSQL type of each parameter, in order. */
  types: readonly string[];
}

function flat(param: number, width: number): string {
  return Array.from(
    { length: width },
    (_, j) => `($${param}::bigint[])[(n - 1) * ${width} + ${j + 1}]`,
  ).join(', ');
}

/** Rollup deltas that only add: 8 key columns, count and ttr_sum_ms, then the buckets flat. */
const rollups: Piece = {
  types: RollupDeltaTypes,
  sql: (at) =>
    `INSERT INTO rollups (${RollupColumns.join(', ')})
     SELECT k0, k1, k2, k3, k4, k5, k6, k7, cnt, ttr, ${flat(at + 10, BucketColumns.length)}
     FROM unnest(${RollupKeyTypes.map((t, i) => `$${at + i}::${t}[]`).join(', ')},
                 $${at + 8}::bigint[], $${at + 9}::bigint[])
       WITH ORDINALITY AS t(k0, k1, k2, k3, k4, k5, k6, k7, cnt, ttr, n) ORDER BY n
     ON CONFLICT (${RollupKeyColumns.join(', ')}) DO UPDATE SET ` +
    ['count', 'ttr_sum_ms', ...BucketColumns]
      .map((c) => `${c} = rollups.${c} + excluded.${c}`)
      .join(', '),
};

/** Change feed rows (pg-feed.ts): the key columns, sign, time to ready, when recorded. */
const changes: Piece = {
  types: arrays([...RollupKeyTypes, 'smallint', 'float8', 'bigint']),
  sql: (at) => {
    const types = [...RollupKeyTypes, 'smallint', 'float8', 'bigint'];
    return `INSERT INTO rollup_changes (${ChangeColumns.join(', ')})
     SELECT * FROM unnest(${types.map((t, i) => `$${at + i}::${t}[]`).join(', ')})`;
  },
};

/** Counter series: the replica, families, keys, values, then the bucket counts flat. */
const counters: Piece = {
  types: ['text', 'text[]', 'text[]', 'float8[]', 'bigint[]'],
  sql: (at) =>
    `INSERT INTO counters (replica_id, family, labels, value, ${CounterBucketColumns.join(', ')})
     SELECT $${at}, f, l, v, ${flat(at + 4, CounterBucketCount)}
     FROM unnest($${at + 1}::text[], $${at + 2}::text[], $${at + 3}::float8[])
       WITH ORDINALITY AS t(f, l, v, n) ORDER BY n
     ON CONFLICT (replica_id, family, labels) DO UPDATE SET ` +
    ['value', ...CounterBucketColumns]
      .map((c) => `${c} = counters.${c} + excluded.${c}`)
      .join(', '),
};

/** What agents say about AMIs: one row per AMI id; a known AMI is left alone. */
const images: Piece = {
  types: arrays(['text', 'text', 'text', 'text', 'bigint']),
  sql: (at) =>
    `INSERT INTO images (ami_id, region, name, version, build, source, registered_at_ms)
     SELECT a, r, nm, v, '{}', 'agent', t
     FROM unnest($${at}::text[], $${at + 1}::text[], $${at + 2}::text[], $${at + 3}::text[],
                 $${at + 4}::bigint[]) WITH ORDINALITY AS u(a, r, nm, v, t, n) ORDER BY n
     ON CONFLICT (ami_id) DO NOTHING`,
};

/** Collector verdicts that first-boot reports replace. */
const deletes: Piece = {
  types: arrays(['text', 'text']),
  sql: (at) =>
    `DELETE FROM boots WHERE (instance_id, boot_id) IN
       (SELECT * FROM unnest($${at}::text[], $${at + 1}::text[]))`,
};

const boots: Piece = {
  types: arrays(BootColumns.map((c) => (c === 'phases' ? 'text' : BootColumnTypes[c]))),
  sql: (at) =>
    `INSERT INTO boots (${BootColumns.join(', ')})
     SELECT ${BootColumns.map((c) => (c === 'phases' ? 'c_phases::jsonb' : `c_${c}`)).join(', ')}
     FROM unnest(${BootColumns.map((c, i) => `$${at + i}::${c === 'phases' ? 'text' : BootColumnTypes[c]}[]`).join(', ')})
       WITH ORDINALITY AS t(${BootColumns.map((c) => `c_${c}`).join(', ')}, n) ORDER BY n
     ON CONFLICT (instance_id, boot_id) DO UPDATE SET ` +
    BootColumns.filter((c) => c !== 'instance_id' && c !== 'boot_id')
      .map((c) => `${c} = excluded.${c}`)
      .join(', '),
};

/** Counter series alone (a batch of events): $1 the replica, then the arrays. */
export const AddCountersSql = counters.sql(1);

/** The pieces as CTEs of `main`, their parameters numbered from `from` on. */
function chain(pieces: Record<string, Piece>, main: Piece, from: number): Piece {
  let at = from;
  const ctes: string[] = [];
  for (const [name, piece] of Object.entries(pieces)) {
    ctes.push(`${name} AS (${piece.sql(at)})`);
    at += piece.types.length;
  }
  return {
    types: [...Object.values(pieces).flatMap((p) => p.types), ...main.types],
    sql: () => `WITH ${ctes.join(',\n')}\n${main.sql(at)}`,
  };
}

/** The INSERT of a batch's boot writes, its parameters numbered from `from` on. */
export function applyBoots(from: number): Piece {
  return chain({ r: rollups, f: changes, c: counters, i: images, d: deletes }, boots, from);
}

/** Rows of values as one array per column. */
function columns(rows: readonly SqlValue[][], width: number): SqlValue[][] {
  return Array.from({ length: width }, (_, j) => rows.map((r) => r[j] ?? null));
}

export function counterParams(replicaId: string, rows: readonly CounterDelta[]): Param[] {
  return [
    replicaId,
    rows.map((r) => r.family),
    rows.map((r) => r.key),
    rows.map(valueOf),
    rows.flatMap((r) => [...bucketsOf(r)]),
  ];
}

export interface BootBatchRows {
  /** Only-adding rollup deltas, sorted. */
  rollups: readonly RollupDelta[];
  /** Every boot's changes, for the feed. */
  changes: readonly RollupChange[];
  /** Merged, sorted. */
  counters: readonly CounterDelta[];
  /** One boot per AMI id to learn, sorted by AMI id. */
  learned: readonly StoredBoot[];
  replaced: readonly StoredBoot[];
  boots: readonly StoredBoot[];
}

export function deltaParams(deltas: readonly RollupDelta[]): Param[] {
  const values = deltas.map(rollupValues);
  return [...columns(values, 10), values.flatMap((r) => r.slice(10))];
}

/** The parameters of applyBoots, in the order of its pieces. */
export function applyBootsParams(replicaId: string, b: BootBatchRows): Param[] {
  return [
    ...deltaParams(b.rollups),
    ...columns(b.changes.map(changeValues), ChangeColumns.length),
    ...counterParams(replicaId, b.counters),
    b.learned.map((x) => x.amiId),
    b.learned.map((x) => SharedRows.learnedRegion(x)),
    b.learned.map((x) => x.amiName ?? null),
    b.learned.map((x) => x.amiVersion),
    b.learned.map((x) => ms(x.receivedAtMs)),
    b.replaced.map((x) => x.instanceId),
    b.replaced.map((x) => x.bootId),
    ...columns(b.boots.map(bootValues), BootColumns.length),
  ];
}
