// Rollouts on SQLite (rollout-store.ts). A write runs in the store's immediate transaction, which
// holds the database's one write lock: the overlap check and the insert cannot interleave with
// another writer's. Statements are prepared on first use: the table exists only once migrated.
import type Database from 'better-sqlite3';
import type {
  FinishedCount,
  FinishedRolloutState,
  NewRollout,
  Rollout,
  RolloutState,
  StoredVerdict,
} from '../rollouts/rollout-model.js';
import { SqliteEvidenceFeed, type EvidenceFeed } from './evidence-feed.js';
import type { RolloutStore } from './rollout-store.js';
import type { SqliteFeed } from './sqlite-feed.js';
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
import { ms, type Row, type SqlValue } from './rows.js';
import { bind } from './sqlite-statements.js';

type Write = <T>(what: string, fn: () => T) => T;

/** Values for the statements' numbered names (@p1, @p2, ...): a value may be used twice. */
function named(...values: SqlValue[]): Record<string, string | number | null> {
  return Object.fromEntries(bind(values).map((v, i) => [`p${i + 1}`, v]));
}

function prepare(db: Database.Database) {
  const sql = rolloutSql((i) => `@p${i}`);
  return Object.fromEntries(
    Object.entries(sql).map(([name, text]) => [name, db.prepare(text)]),
  ) as Record<keyof typeof sql, Database.Statement>;
}

export class SqliteRollouts implements RolloutStore {
  private q: ReturnType<typeof prepare> | null = null;

  /**
   * `write` runs its function in the store's write transaction, `feed` makes a change feed
   * reader (sqlite-store.ts).
   */
  constructor(
    private readonly db: Database.Database,
    private readonly write: Write,
    private readonly feed: () => SqliteFeed,
  ) {}

  evidenceFeed(): EvidenceFeed {
    return new SqliteEvidenceFeed(this.db, this.feed());
  }

  private get statements() {
    this.q ??= prepare(this.db);
    return this.q;
  }

  private rows(state?: RolloutState): Rollout[] {
    const s = this.statements;
    const rows = (state === undefined ? s.all.all() : s.inState.all(named(state))) as Row[];
    return rows.map(rowToRollout);
  }

  async create(rollout: NewRollout): Promise<Rollout> {
    return this.write('starting a rollout', () => {
      assertNoOverlap(rollout, this.rows('canary'));
      if (rollout.sameAsWithinMs !== undefined) assertNotRecorded(rollout, this.rows());
      return rowToRollout(this.statements.insert.get(named(...newRolloutValues(rollout))) as Row);
    });
  }

  async get(id: number): Promise<Rollout | null> {
    const row = this.statements.get.get(named(id)) as Row | undefined;
    return row === undefined ? null : rowToRollout(row);
  }

  async list(state?: RolloutState): Promise<Rollout[]> {
    return this.rows(state);
  }

  async finish(
    id: number,
    state: FinishedRolloutState,
    atMs: number,
    note: string | null,
  ): Promise<Rollout> {
    return this.write(`marking rollout ${id} ${state}`, () => {
      const row = this.statements.finish.get(named(id, state, ms(atMs), note)) as Row | undefined;
      if (row !== undefined) return rowToRollout(row);
      const current = this.statements.get.get(named(id)) as Row | undefined;
      if (current === undefined) throw notFound(id);
      throw alreadyFinished(rowToRollout(current), state);
    });
  }

  async saveVerdict(
    id: number,
    verdict: StoredVerdict,
    previousAtMs: number | null,
  ): Promise<boolean> {
    return this.write(`storing the verdict of rollout ${id}`, () => {
      const result = this.statements.saveVerdict.run(
        named(
          id,
          verdict.verdict,
          ms(verdict.atMs),
          verdictJson(verdict),
          previousAtMs === null ? null : ms(previousAtMs),
          previousAtMs === null ? 1 : 0,
        ),
      );
      return result.changes === 1;
    });
  }

  async countFinished(sinceMs: number): Promise<FinishedCount[]> {
    return finishedCounts(this.statements.countFinished.all(named(ms(sinceMs))) as Row[]);
  }
}
