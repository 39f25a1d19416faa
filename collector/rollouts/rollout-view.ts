// A rollout as the API answers it: the stored fields with times in RFC 3339 beside their ms, and
// the last verdict without the sequential tests' state (internal, kept for the next look).
import { instantText } from '../../shared/rfc3339.js';
import type { PolicyOverrides } from './policy.js';
import type { Rollout, RolloutScope, RolloutSource, RolloutState } from './rollout-model.js';
import type { Verdict } from './verdict-model.js';

export interface RolloutView {
  id: number;
  candidate: string;
  baseline: string | null;
  scope: RolloutScope;
  startedAt: string;
  startedAtMs: number;
  policy: PolicyOverrides;
  state: RolloutState;
  source: RolloutSource;
  finishedAt: string | null;
  finishedAtMs: number | null;
  note: string | null;
  lastVerdict: { verdict: Verdict; at: string; atMs: number } | null;
}

export function rolloutView(r: Rollout): RolloutView {
  return {
    id: r.id,
    candidate: r.candidate,
    baseline: r.baseline,
    scope: r.scope,
    startedAt: instantText(r.startedAtMs),
    startedAtMs: r.startedAtMs,
    policy: r.policy,
    state: r.state,
    source: r.source,
    finishedAt: r.finishedAtMs === null ? null : instantText(r.finishedAtMs),
    finishedAtMs: r.finishedAtMs,
    note: r.note,
    lastVerdict:
      r.lastVerdict === null
        ? null
        : {
            verdict: r.lastVerdict.verdict,
            at: instantText(r.lastVerdict.atMs),
            atMs: r.lastVerdict.atMs,
          },
  };
}
