// The store's part for rollouts (both engines: sqlite-rollouts.ts, pg-rollouts.ts). Every write
// is one transaction that checks what it depends on inside it: two pipelines starting canaries
// in one scope at once, or promoting and rolling back one rollout at once, cannot both win.
import type {
  FinishedCount,
  FinishedRolloutState,
  NewRollout,
  Rollout,
  RolloutState,
  StoredVerdict,
} from '../rollouts/rollout-model.js';
import type { EvidenceFeed } from './evidence-feed.js';

export interface RolloutStore {
  /**
   * Stores a new rollout in state `canary`. Throws BW_ROLLOUT_CONFLICT, storing nothing, when an
   * active rollout's scope overlaps this one's (scopesOverlap in rollout-model.ts).
   */
  create(rollout: NewRollout): Promise<Rollout>;
  get(id: number): Promise<Rollout | null>;
  /** Every rollout, or those in one state, oldest first. */
  list(state?: RolloutState): Promise<Rollout[]>;
  /**
   * Records how a canary ended. Throws BW_NOT_FOUND for an unknown id and BW_ROLLOUT_CONFLICT,
   * changing nothing, when the rollout is already finished.
   */
  finish(
    id: number,
    state: FinishedRolloutState,
    atMs: number,
    note: string | null,
  ): Promise<Rollout>;
  /**
   * Stores a canary's latest verdict if the one stored is still the one it was computed from
   * (`previousAtMs`, null at the first look): false, storing nothing, when another look (another
   * replica) saved first or the rollout finished. So two looks never both spend from one ledger.
   */
  saveVerdict(id: number, verdict: StoredVerdict, previousAtMs: number | null): Promise<boolean>;
  /** Rollouts finished at or after `sinceMs`, counted by outcome and source (M6). */
  countFinished(sinceMs: number): Promise<FinishedCount[]>;
  /** A new reader of the change feed that also loads rollouts' boots in its snapshot. */
  evidenceFeed(): EvidenceFeed;
}
