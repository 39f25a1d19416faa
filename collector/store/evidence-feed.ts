// The rollout verdict's reader of the change feed (rollouts/evidence-book.ts keeps the evidence):
// the same feed the SLO engine reads (sqlite-feed.ts, pg-feed.ts), so each committed change is
// returned once, plus, in the same snapshot, the first boots of the rollouts loaded at this read.
// A rollout's boots therefore already hold every change of this read and the earlier ones, and
// every change of a later read is one they do not hold: applying those never counts a boot twice
// or misses one, whatever commits meanwhile, on this replica or another.
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { Outcome } from '../../shared/conventions.js';
import type { PgFeed } from './pg-feed.js';
import type { NamedSql } from './pg-sql.js';
import { run } from './pg-tx.js';
import { ms, type Row } from './rows.js';
import type { SqliteFeed } from './sqlite-feed.js';
import type { RollupChange } from './store.js';

/** The first boots of some versions whose outcome came at or after `sinceMs`. */
export interface EvidenceLoad {
  versions: readonly string[];
  sinceMs: number;
}

/** A first boot as the evidence counts it: the fields of a rollup change. */
export interface EvidenceBoot {
  amiVersion: string;
  region: string;
  /** '' for a boot without an Auto Scaling group, as in the rollups. */
  asg: string;
  outcome: Outcome;
  ttrSeconds: number;
}

export type EvidenceRead =
  | { lost: false; changes: RollupChange[]; boots: EvidenceBoot[][] }
  /** Changes this reader had not read were pruned: start again with a new feed and load all. */
  | { lost: true };

export interface EvidenceFeed {
  /** The changes since the previous read, and the boots of each load (in order), in one snapshot. */
  read(loads: readonly EvidenceLoad[]): Promise<EvidenceRead>;
}

// A version list of any length as one parameter: JSON text on SQLite (json_each), an array on
// PostgreSQL. `outcome_at_ms` first: boots_by_outcome_time serves the range.
const SqliteBootsSql = `SELECT ami_version, region, COALESCE(asg, '') AS asg, outcome,
    time_to_ready_seconds FROM boots
  WHERE outcome_at_ms >= ? AND first_boot = 1
    AND ami_version IN (SELECT value FROM json_each(?))`;

const PgBootsSql: NamedSql = {
  name: 'bw_evidence_boots',
  text: `SELECT ami_version, region, COALESCE(asg, '') AS asg, outcome,
      time_to_ready_seconds FROM boots
    WHERE outcome_at_ms >= $1 AND first_boot AND ami_version = ANY($2::text[])`,
};

function toBoot(r: Row): EvidenceBoot {
  return {
    amiVersion: String(r.ami_version),
    region: String(r.region),
    asg: String(r.asg),
    outcome: String(r.outcome) as Outcome,
    ttrSeconds: Number(r.time_to_ready_seconds),
  };
}

function finish(r: {
  read: Awaited<ReturnType<SqliteFeed['read']>>;
  also: EvidenceBoot[][];
}): EvidenceRead {
  return r.read.lost ? { lost: true } : { lost: false, changes: r.read.changes, boots: r.also };
}

export class SqliteEvidenceFeed implements EvidenceFeed {
  constructor(
    private readonly db: Database.Database,
    private readonly feed: SqliteFeed,
  ) {}

  async read(loads: readonly EvidenceLoad[]): Promise<EvidenceRead> {
    const statement = loads.length === 0 ? null : this.db.prepare(SqliteBootsSql);
    return finish(
      await this.feed.readWith(() =>
        loads.map((l) =>
          (statement!.all(ms(l.sinceMs), JSON.stringify(l.versions)) as Row[]).map(toBoot),
        ),
      ),
    );
  }
}

export class PgEvidenceFeed implements EvidenceFeed {
  constructor(private readonly feed: PgFeed) {}

  async read(loads: readonly EvidenceLoad[]): Promise<EvidenceRead> {
    return finish(
      await this.feed.readWith([], async (client: pg.PoolClient) => {
        const out: EvidenceBoot[][] = [];
        for (const l of loads) {
          out.push((await run(client, PgBootsSql, [ms(l.sinceMs), [...l.versions]])).map(toBoot));
        }
        return out;
      }),
    );
  }
}
