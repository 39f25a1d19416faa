// A rollout as plain data: a candidate AMI version canaried in a scope (Auto Scaling groups and/or
// regions) against a baseline version, from a start time, under a verdict policy, until a pipeline
// (source 'api') or the launch detector (source 'detected') records how it ended. The store keeps
// it (store/rollout-store.ts); the verdict (verdict.ts) judges it while it is a canary.
import type { PolicyOverrides } from './policy.js';
import type { Check, Verdict, VerdictState } from './verdict-model.js';

/** `canary` -> `promoted` | `rolled_back` | `aborted`; a finished rollout never changes again. */
export type RolloutState = 'canary' | 'promoted' | 'rolled_back' | 'aborted';
export type FinishedRolloutState = Exclude<RolloutState, 'canary'>;
export type RolloutSource = 'api' | 'detected';

export const RolloutStates: readonly RolloutState[] = [
  'canary',
  'promoted',
  'rolled_back',
  'aborted',
];
export const FinishedRolloutStates: readonly FinishedRolloutState[] = [
  'promoted',
  'rolled_back',
  'aborted',
];
export const RolloutSources: readonly RolloutSource[] = ['api', 'detected'];

/**
 * Where the canary runs. An empty list does not restrict: `{ asgs: ['web'], regions: [] }` is the
 * group `web` in every region. A boot is in scope when its group and its region both match.
 */
export interface RolloutScope {
  asgs: string[];
  regions: string[];
}

/** The last verdict computed for a rollout, kept between looks (the sequential tests' state). */
export interface StoredVerdict {
  verdict: Verdict;
  atMs: number;
  checks: Check[];
  notes: string[];
  state: VerdictState;
}

export interface Rollout {
  /** Given by the store, 1, 2, 3, ... */
  id: number;
  candidate: string;
  /** null: a first version, judged against its SLOs alone. */
  baseline: string | null;
  scope: RolloutScope;
  startedAtMs: number;
  /** What the rollout changes of the default verdict policy (policy.ts), as it was given. */
  policy: PolicyOverrides;
  state: RolloutState;
  source: RolloutSource;
  finishedAtMs: number | null;
  /** Why it ended, as the pipeline or the detector said. */
  note: string | null;
  /** The last verdict computed while it was a canary; null before the first look. */
  lastVerdict: StoredVerdict | null;
}

export type NewRollout = Pick<
  Rollout,
  'candidate' | 'baseline' | 'scope' | 'startedAtMs' | 'policy' | 'source'
> & {
  /**
   * Detected rollouts: the store refuses this one (BW_ROLLOUT_CONFLICT) when a detected rollout
   * of the same group, candidate and baseline that started within this many ms is stored, in
   * any state: another replica's detector recorded it first.
   */
  sameAsWithinMs?: number;
};

/**
 * Whether stored rollout `r` is the detected rollout `d` (same group, candidate and baseline, a
 * start within `withinMs`: a late launch event can move a detected start earlier).
 */
export function sameDetectedRollout(
  r: Rollout,
  d: Pick<Rollout, 'candidate' | 'baseline' | 'scope' | 'startedAtMs'>,
  withinMs: number,
): boolean {
  return (
    r.source === 'detected' &&
    r.candidate === d.candidate &&
    r.baseline === d.baseline &&
    r.scope.asgs.length === 1 &&
    d.scope.asgs.length === 1 &&
    r.scope.asgs[0] === d.scope.asgs[0] &&
    r.scope.regions.length === 1 &&
    d.scope.regions.length === 1 &&
    r.scope.regions[0] === d.scope.regions[0] &&
    Math.abs(r.startedAtMs - d.startedAtMs) <= withinMs
  );
}

/** Finished rollouts of one outcome and source (M6: rollouts not rolled back / finished). */
export interface FinishedCount {
  outcome: FinishedRolloutState;
  source: RolloutSource;
  count: number;
}

function meets(a: readonly string[], b: readonly string[]): boolean {
  return a.length === 0 || b.length === 0 || a.some((x) => b.includes(x));
}

/**
 * Whether a boot could be in both scopes: two canaries there would each count the other's
 * launches as their own. `{asgs: [web]}` and `{regions: [eu-west-1]}` overlap (web in eu-west-1);
 * `{asgs: [web]}` and `{asgs: [batch]}` do not.
 */
export function scopesOverlap(a: RolloutScope, b: RolloutScope): boolean {
  return meets(a.asgs, b.asgs) && meets(a.regions, b.regions);
}

/** Whether a boot of this group and region is in the scope ('' for a boot without a group). */
export function inScope(scope: RolloutScope, asg: string, region: string): boolean {
  return (
    (scope.asgs.length === 0 || scope.asgs.includes(asg)) &&
    (scope.regions.length === 0 || scope.regions.includes(region))
  );
}

/** A scope as one line: `asgs web, api in eu-west-1`, `every group in every region`. */
export function describeScope(scope: RolloutScope): string {
  const asgs = scope.asgs.length === 0 ? 'every group' : `asgs ${scope.asgs.join(', ')}`;
  const regions =
    scope.regions.length === 0 ? 'every region' : `regions ${scope.regions.join(', ')}`;
  return `${asgs} in ${regions}`;
}
