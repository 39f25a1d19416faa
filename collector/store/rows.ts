// Rows to model objects and back, for both engines. Column names are the same in both schemas;
// the engines differ in what comes back: SQLite gives 0/1 and text JSON, PostgreSQL gives
// booleans, parsed jsonb and int8 as strings. These readers accept either.
import type { BootReport } from '../../shared/boot-report.js';
import type { Outcome, Reason } from '../../shared/conventions.js';
import { BootwatchError } from '../../shared/errors.js';
import type { GroupKey, ImageRecord, RollupRow, StoredBoot } from '../model.js';
import type { LaunchRow } from './launch-merge.js';
import { rollupKeyValues, type RollupChange, type RollupDelta } from './rollup-math.js';

export type Row = Record<string, unknown>;
export type SqlValue = string | number | boolean | null;

/**
 * Epoch milliseconds as stored: an integer. A compressed-time clock can hand out fractions, which
 * a STRICT INTEGER (SQLite) or bigint (PostgreSQL) column would refuse.
 */
export function ms(value: number): number {
  return Math.round(value);
}

function msOrNull(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

/**
 * The rollup bucket columns b0..b16. Fixed at 17 (16 TimeToReadyBuckets bounds + Inf) by schema
 * version 1: changing the bounds needs a migration, which assertBucketLayout enforces.
 */
export const BucketColumns = Array.from({ length: 17 }, (_, i) => `b${i}`);

export const BootColumns = [
  'instance_id',
  'boot_id',
  'first_boot',
  'launched_at',
  'launched_at_ms',
  'kernel_started_at',
  'ami_id',
  'ami_name',
  'ami_version',
  'account_id',
  'region',
  'availability_zone',
  'instance_type',
  'asg',
  'outcome',
  'reason',
  'time_to_ready_seconds',
  'phases',
  'failure_detail',
  'source',
  'received_at_ms',
  'outcome_at_ms',
] as const;

/**
 * The values of a report itself, in BootColumns order without launched_at_ms (derived from
 * launched_at). Phases are JSON with sorted keys, so that equal lists mean the same report:
 * boot-plan.ts compares them to tell a repeat from an update.
 */
export function reportValues(b: BootReport): SqlValue[] {
  const phases = Object.entries(b.phases)
    .filter(([, v]) => v !== undefined)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return [
    b.instanceId,
    b.bootId,
    b.firstBoot,
    b.launchedAt,
    b.kernelStartedAt ?? null,
    b.amiId,
    b.amiName ?? null,
    b.amiVersion,
    b.accountId ?? null,
    b.region,
    b.availabilityZone ?? null,
    b.instanceType,
    b.asg ?? null,
    b.outcome,
    b.reason,
    b.timeToReadySeconds,
    JSON.stringify(Object.fromEntries(phases)),
    b.failureDetail ?? null,
  ];
}

const LaunchedAtMsColumn = BootColumns.indexOf('launched_at_ms');

export function bootValues(b: StoredBoot): SqlValue[] {
  const values = reportValues(b);
  values.splice(LaunchedAtMsColumn, 0, Date.parse(b.launchedAt));
  values.push(b.source, ms(b.receivedAtMs), ms(b.outcomeAtMs));
  return values;
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const bool = (v: unknown): boolean => v === true || v === 1 || v === 1n;
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

export function rowToBoot(r: Row): StoredBoot {
  const boot: StoredBoot = {
    instanceId: str(r.instance_id),
    bootId: str(r.boot_id),
    firstBoot: bool(r.first_boot),
    launchedAt: str(r.launched_at),
    amiId: str(r.ami_id),
    amiVersion: str(r.ami_version),
    region: str(r.region),
    instanceType: str(r.instance_type),
    outcome: str(r.outcome) as Outcome,
    reason: str(r.reason) as Reason,
    timeToReadySeconds: num(r.time_to_ready_seconds),
    phases: json(r.phases) as BootReport['phases'],
    source: str(r.source) as StoredBoot['source'],
    receivedAtMs: num(r.received_at_ms),
    outcomeAtMs: num(r.outcome_at_ms),
  };
  const optional = {
    kernelStartedAt: r.kernel_started_at,
    amiName: r.ami_name,
    accountId: r.account_id,
    availabilityZone: r.availability_zone,
    asg: r.asg,
    failureDetail: r.failure_detail,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== null && value !== undefined) boot[key as keyof typeof optional] = str(value);
  }
  return boot;
}

export const LaunchColumns = [
  'instance_id',
  'launched_at_ms',
  'ami_id',
  'region',
  'account_id',
  'instance_type',
  'availability_zone',
  'asg',
  'state',
  'terminated_at_ms',
  'reported',
  'decided_at_ms',
  'status_message',
] as const;

export function launchValues(l: LaunchRow): SqlValue[] {
  return [
    l.instanceId,
    msOrNull(l.launchedAtMs),
    l.amiId,
    l.region,
    l.accountId,
    l.instanceType,
    l.availabilityZone,
    l.asg,
    l.state,
    msOrNull(l.terminatedAtMs),
    l.reported,
    msOrNull(l.decidedAtMs),
    l.statusMessage,
  ];
}

export function rowToLaunch(r: Row): LaunchRow {
  return {
    instanceId: str(r.instance_id),
    launchedAtMs: numOrNull(r.launched_at_ms),
    amiId: strOrNull(r.ami_id),
    region: strOrNull(r.region),
    accountId: strOrNull(r.account_id),
    instanceType: strOrNull(r.instance_type),
    availabilityZone: strOrNull(r.availability_zone),
    asg: strOrNull(r.asg),
    state: str(r.state) as LaunchRow['state'],
    terminatedAtMs: numOrNull(r.terminated_at_ms),
    reported: bool(r.reported),
    decidedAtMs: numOrNull(r.decided_at_ms),
    statusMessage: strOrNull(r.status_message),
  };
}

export function imageValues(i: ImageRecord): SqlValue[] {
  return [
    i.amiId,
    i.region,
    i.name,
    i.version,
    JSON.stringify(i.build),
    i.source,
    ms(i.registeredAtMs),
  ];
}

export function rowToImage(r: Row): ImageRecord {
  return {
    amiId: str(r.ami_id),
    region: strOrNull(r.region),
    name: strOrNull(r.name),
    version: str(r.version),
    build: json(r.build) as Record<string, string>,
    source: str(r.source) as ImageRecord['source'],
    registeredAtMs: num(r.registered_at_ms),
  };
}

/** Key columns, count, ttr_sum_ms and the bucket columns, in the order of RollupColumns. */
export const RollupColumns = [
  'minute_ms',
  'ami_id',
  'ami_version',
  'region',
  'asg',
  'instance_type',
  'outcome',
  'reason',
  'count',
  'ttr_sum_ms',
  ...BucketColumns,
];

const RollupFirstBucket = RollupColumns.indexOf('b0');

export function rollupValues(d: RollupDelta): SqlValue[] {
  return [
    ...rollupKeyValues(d.key),
    d.count,
    d.ttrSumMs,
    ...BucketColumns.map((_, i) => d.buckets[i] ?? 0),
  ];
}

export function rowToRollup(r: Row): RollupRow {
  return valuesToRollup(RollupColumns.map((c) => r[c]));
}

/**
 * A rollup row read as an array, columns in RollupColumns order (SQLite's raw mode): no object
 * with 27 named properties is built per row, which is most of the cost of reading many rows.
 */
export function valuesToRollup(v: readonly unknown[]): RollupRow {
  const buckets = new Array<number>(BucketColumns.length);
  for (let i = 0; i < buckets.length; i += 1) buckets[i] = num(v[RollupFirstBucket + i]);
  return {
    minuteMs: num(v[0]),
    amiId: str(v[1]),
    amiVersion: str(v[2]),
    region: str(v[3]),
    asg: str(v[4]),
    instanceType: str(v[5]),
    outcome: str(v[6]) as Outcome,
    reason: str(v[7]) as Reason,
    count: num(v[8]),
    ttrSum: num(v[9]) / 1000,
    ttrBuckets: buckets,
  };
}

/** The columns of a change feed row after its seq (and, in PostgreSQL, its txid). */
export const ChangeColumns = [...RollupColumns.slice(0, 8), 'sign', 'ttr_seconds', 'at_ms'];

export function changeValues(c: RollupChange): SqlValue[] {
  return [...rollupKeyValues(c.key), c.sign, c.ttrSeconds, ms(c.atMs)];
}

/** A change feed row read as an array in ChangeColumns order, from index `at` on. */
export function valuesToChange(v: readonly unknown[], at = 0): RollupChange {
  return {
    key: {
      minuteMs: num(v[at]),
      amiId: str(v[at + 1]),
      amiVersion: str(v[at + 2]),
      region: str(v[at + 3]),
      asg: str(v[at + 4]),
      instanceType: str(v[at + 5]),
      outcome: str(v[at + 6]) as Outcome,
      reason: str(v[at + 7]) as Reason,
    },
    sign: num(v[at + 8]) < 0 ? -1 : 1,
    ttrSeconds: num(v[at + 9]),
    atMs: num(v[at + 10]),
  };
}

export function rowToGroup(r: Row): GroupKey {
  return {
    amiId: str(r.ami_id),
    amiVersion: str(r.ami_version),
    region: str(r.region),
    asg: str(r.asg),
    instanceType: str(r.instance_type),
  };
}

/** Refuses to run when the bucket bounds changed without a schema migration for the columns. */
export function assertBucketLayout(bucketCount: number): void {
  if (bucketCount !== BucketColumns.length) {
    throw new BootwatchError(
      'BW_STORE_OPEN',
      `TimeToReadyBuckets has ${bucketCount - 1} bounds but the rollup schema stores ` +
        `${BucketColumns.length - 1}; changing the bounds needs a schema migration`,
    );
  }
}

/**
 * The condition "this rollup row holds a bad boot": a failure, or a success with a time to ready
 * in a bucket above the index `slowAbove` names (a parameter of the statement, given as is).
 * `above(i)` is the engine's 1 or 0 for "bucket i is above it".
 */
export function badRollupCondition(above: (i: number) => string): string {
  const slow = BucketColumns.map((c, i) => `${c} * ${above(i)}`).join(' + ');
  return `(outcome <> 'success' OR (${slow}) > 0)`;
}
