// Rollouts as rows, for both engines: the values of a new rollout in column order, and a row back
// to a Rollout. SQLite gives JSON as text and ids as numbers, PostgreSQL parsed jsonb and int8 as
// strings: the reader takes either, as rows.ts does.
import { BootwatchError } from '../../shared/errors.js';
import {
  sameDetectedRollout,
  scopesOverlap,
  describeScope,
  type NewRollout,
  type Rollout,
  type RolloutSource,
  type RolloutState,
  type StoredVerdict,
} from '../rollouts/rollout-model.js';
import type { PolicyOverrides } from '../rollouts/policy.js';
import { ms, type Row, type SqlValue } from './rows.js';

export const NewRolloutColumns = [
  'candidate',
  'baseline',
  'scope_asgs',
  'scope_regions',
  'started_at_ms',
  'policy',
  'state',
  'source',
] as const;

export function newRolloutValues(r: NewRollout): SqlValue[] {
  return [
    r.candidate,
    r.baseline,
    JSON.stringify(r.scope.asgs),
    JSON.stringify(r.scope.regions),
    ms(r.startedAtMs),
    JSON.stringify(r.policy),
    'canary',
    r.source,
  ];
}

function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function rowToRollout(row: Row): Rollout {
  const verdictJson = row.verdict_json;
  const last =
    verdictJson === null || verdictJson === undefined
      ? null
      : json<Omit<StoredVerdict, 'verdict' | 'atMs'>>(verdictJson);
  return {
    id: Number(row.rollout_id),
    candidate: String(row.candidate),
    baseline: row.baseline === null ? null : String(row.baseline),
    scope: { asgs: json<string[]>(row.scope_asgs), regions: json<string[]>(row.scope_regions) },
    startedAtMs: Number(row.started_at_ms),
    policy: json<PolicyOverrides>(row.policy),
    state: String(row.state) as RolloutState,
    source: String(row.source) as RolloutSource,
    finishedAtMs: numberOrNull(row.finished_at_ms),
    note: row.note === null ? null : String(row.note),
    lastVerdict:
      last === null
        ? null
        : {
            verdict: String(row.verdict) as StoredVerdict['verdict'],
            atMs: Number(row.verdict_at_ms),
            checks: last.checks,
            notes: last.notes,
            state: last.state,
          },
  };
}

/** The verdict's columns after `verdict` and `verdict_at_ms`: what a later look reads back. */
export function verdictJson(v: StoredVerdict): string {
  return JSON.stringify({ checks: v.checks, notes: v.notes, state: v.state });
}

/** Refuses a new rollout whose scope overlaps an active one's (read in the same transaction). */
export function assertNoOverlap(fresh: NewRollout, active: readonly Rollout[]): void {
  const clash = active.find((a) => scopesOverlap(a.scope, fresh.scope));
  if (clash === undefined) return;
  throw new BootwatchError(
    'BW_ROLLOUT_CONFLICT',
    `rollout ${clash.id} (${clash.candidate}) is already a canary in ${describeScope(clash.scope)}, ` +
      `which overlaps ${describeScope(fresh.scope)}: finish it (promote, rollback or abort) first`,
  );
}

/** A detected rollout another replica already recorded (NewRollout.sameAsWithinMs). */
export function assertNotRecorded(fresh: NewRollout, all: readonly Rollout[]): void {
  const within = fresh.sameAsWithinMs;
  if (within === undefined) return;
  const twin = all.find((r) => sameDetectedRollout(r, fresh, within));
  if (twin === undefined) return;
  throw new BootwatchError(
    'BW_ROLLOUT_CONFLICT',
    `rollout ${twin.id} (${twin.candidate} replacing ${twin.baseline ?? 'nothing'} in ` +
      `${describeScope(twin.scope)}) is already recorded`,
  );
}

export function notFound(id: number): BootwatchError {
  return new BootwatchError('BW_NOT_FOUND', `no rollout with id ${id}`);
}

/** A finish of a rollout that is no longer a canary. */
export function alreadyFinished(r: Rollout, wanted: string): BootwatchError {
  return new BootwatchError(
    'BW_ROLLOUT_CONFLICT',
    `rollout ${r.id} is already ${r.state} (at ${new Date(r.finishedAtMs ?? 0).toISOString()}); ` +
      `only a canary can be marked ${wanted}`,
  );
}

export function finishedCounts(rows: Row[]) {
  return rows.map((r) => ({
    outcome: String(r.state) as 'promoted' | 'rolled_back' | 'aborted',
    source: String(r.source) as RolloutSource,
    count: Number(r.n),
  }));
}

/**
 * The statements both engines run, with `param(i)` writing the i-th placeholder (1-based): `?`
 * for SQLite, `$i` for PostgreSQL.
 */
export function rolloutSql(param: (i: number) => string) {
  const p = param;
  return {
    insert:
      `INSERT INTO rollouts (${NewRolloutColumns.join(', ')}) ` +
      `VALUES (${NewRolloutColumns.map((_, i) => p(i + 1)).join(', ')}) RETURNING *`,
    get: `SELECT * FROM rollouts WHERE rollout_id = ${p(1)}`,
    all: `SELECT * FROM rollouts ORDER BY rollout_id`,
    inState: `SELECT * FROM rollouts WHERE state = ${p(1)} ORDER BY rollout_id`,
    finish:
      `UPDATE rollouts SET state = ${p(2)}, finished_at_ms = ${p(3)}, note = ${p(4)} ` +
      `WHERE rollout_id = ${p(1)} AND state = 'canary' RETURNING *`,
    saveVerdict:
      `UPDATE rollouts SET verdict = ${p(2)}, verdict_at_ms = ${p(3)}, verdict_json = ${p(4)} ` +
      `WHERE rollout_id = ${p(1)} AND state = 'canary' ` +
      `AND (verdict_at_ms = ${p(5)} OR (verdict_at_ms IS NULL AND ${p(6)} = 1))`,
    countFinished:
      `SELECT state, source, count(*) AS n FROM rollouts ` +
      `WHERE finished_at_ms >= ${p(1)} GROUP BY state, source ORDER BY state, source`,
  };
}
