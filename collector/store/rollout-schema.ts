// Schema version 6, rollouts, for both engines: one row per rollout, its scope and policy as JSON,
// the last verdict beside it (the sequential tests' state, carried from one look to the next).
// Written out in full: frozen once released, like every migration (a later change is a new one).
// The CHECKs hold what the store also checks in code: a finished rollout has its finish time, a
// canary has none, and a candidate is never its own baseline.
const States = `'canary', 'promoted', 'rolled_back', 'aborted'`;

export const SqliteRolloutMigration = {
  version: 6,
  name: 'rollouts',
  statements: [
    `CREATE TABLE rollouts (
        rollout_id INTEGER PRIMARY KEY AUTOINCREMENT,
        candidate TEXT NOT NULL,
        baseline TEXT CHECK (baseline IS NULL OR baseline <> candidate),
        scope_asgs TEXT NOT NULL,
        scope_regions TEXT NOT NULL,
        started_at_ms INTEGER NOT NULL,
        policy TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN (${States})),
        source TEXT NOT NULL CHECK (source IN ('api', 'detected')),
        finished_at_ms INTEGER,
        note TEXT,
        verdict TEXT CHECK (verdict IN ('promote', 'hold', 'rollback')),
        verdict_at_ms INTEGER,
        verdict_json TEXT,
        CHECK ((state = 'canary') = (finished_at_ms IS NULL))
      ) STRICT`,
    `CREATE INDEX rollouts_by_state ON rollouts (state, rollout_id)`,
    `CREATE INDEX rollouts_by_finish ON rollouts (finished_at_ms) WHERE finished_at_ms IS NOT NULL`,
  ],
};

export const PgRolloutMigration = {
  version: 6,
  name: 'rollouts',
  statements: [
    `CREATE TABLE rollouts (
        rollout_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        candidate text COLLATE "C" NOT NULL,
        baseline text COLLATE "C" CHECK (baseline IS NULL OR baseline <> candidate),
        scope_asgs jsonb NOT NULL,
        scope_regions jsonb NOT NULL,
        started_at_ms bigint NOT NULL,
        policy jsonb NOT NULL,
        state text NOT NULL CHECK (state IN (${States})),
        source text NOT NULL CHECK (source IN ('api', 'detected')),
        finished_at_ms bigint,
        note text,
        verdict text CHECK (verdict IN ('promote', 'hold', 'rollback')),
        verdict_at_ms bigint,
        verdict_json jsonb,
        CHECK ((state = 'canary') = (finished_at_ms IS NULL))
      )`,
    `CREATE INDEX rollouts_by_state ON rollouts (state, rollout_id)`,
    `CREATE INDEX rollouts_by_finish ON rollouts (finished_at_ms) WHERE finished_at_ms IS NOT NULL`,
  ],
};
