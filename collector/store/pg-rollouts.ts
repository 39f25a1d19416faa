// Rollouts on PostgreSQL (rollout-store.ts), as named statements like pg-sql.ts's. Replicas share
// the table, so a new rollout takes a transaction-scoped advisory lock before it reads the active
// ones: two replicas starting overlapping canaries at once are serialised, and the second sees
// the first's row and refuses. Finishing and saving a verdict are one conditional UPDATE each.
import type pg from 'pg';
import type {
  FinishedCount,
  FinishedRolloutState,
  NewRollout,
  Rollout,
  RolloutState,
  StoredVerdict,
} from '../rollouts/rollout-model.js';
import { Sql, type NamedSql } from './pg-sql.js';
import { run, type Db } from './pg-tx.js';
import { PgEvidenceFeed, type EvidenceFeed } from './evidence-feed.js';
import { PgFeed } from './pg-feed.js';
import type { RolloutStore } from './rollout-store.js';
import {
  alreadyFinished,
  assertNoOverlap,
  assertNotRecorded,
  finishedCounts,
  newRolloutValues,
  notFound,
  rolloutSql,
  rowToRollout,
  verdictJson,
} from './rollout-rows.js';
import { ms } from './rows.js';

type Write = <T>(what: string, fn: (db: Db) => Promise<T>) => Promise<T>;

/** The advisory lock of rollout creation (pg-sql.ts numbers the others: 1 migrate, 2 sweep). */
export const RolloutLockId = 6;

const text = rolloutSql((i) => `$${i}`);
const RolloutSql = Object.fromEntries(
  Object.entries(text).map(([name, t]) => [name, { name: `bw_rollout_${name}`, text: t }]),
) as Record<keyof typeof text, NamedSql>;

export class PgRollouts implements RolloutStore {
  /** `write` runs its function in one of the store's transactions (pg-store.ts). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly write: Write,
  ) {}

  evidenceFeed(): EvidenceFeed {
    return new PgEvidenceFeed(new PgFeed(this.pool));
  }

  async create(rollout: NewRollout): Promise<Rollout> {
    return this.write('starting a rollout', async (db) => {
      await run(db, Sql.lockGlobal, [RolloutLockId]);
      const active = (await run(db, RolloutSql.inState, ['canary'])).map(rowToRollout);
      assertNoOverlap(rollout, active);
      if (rollout.sameAsWithinMs !== undefined) {
        assertNotRecorded(rollout, (await run(db, RolloutSql.all, [])).map(rowToRollout));
      }
      const [row] = await run(db, RolloutSql.insert, newRolloutValues(rollout));
      return rowToRollout(row!);
    });
  }

  async get(id: number): Promise<Rollout | null> {
    const [row] = await run(this.pool, RolloutSql.get, [id]);
    return row === undefined ? null : rowToRollout(row);
  }

  async list(state?: RolloutState): Promise<Rollout[]> {
    const rows =
      state === undefined
        ? await run(this.pool, RolloutSql.all)
        : await run(this.pool, RolloutSql.inState, [state]);
    return rows.map(rowToRollout);
  }

  async finish(
    id: number,
    state: FinishedRolloutState,
    atMs: number,
    note: string | null,
  ): Promise<Rollout> {
    return this.write(`marking rollout ${id} ${state}`, async (db) => {
      const [row] = await run(db, RolloutSql.finish, [id, state, ms(atMs), note]);
      if (row !== undefined) return rowToRollout(row);
      const [current] = await run(db, RolloutSql.get, [id]);
      if (current === undefined) throw notFound(id);
      throw alreadyFinished(rowToRollout(current), state);
    });
  }

  async saveVerdict(
    id: number,
    verdict: StoredVerdict,
    previousAtMs: number | null,
  ): Promise<boolean> {
    return this.write(`storing the verdict of rollout ${id}`, async (db) => {
      const result = await db.query({
        ...RolloutSql.saveVerdict,
        values: [
          id,
          verdict.verdict,
          ms(verdict.atMs),
          verdictJson(verdict),
          previousAtMs === null ? null : ms(previousAtMs),
          previousAtMs === null ? 1 : 0,
        ],
      });
      return result.rowCount === 1;
    });
  }

  async countFinished(sinceMs: number): Promise<FinishedCount[]> {
    return finishedCounts(await run(this.pool, RolloutSql.countFinished, [ms(sinceMs)]));
  }
}
