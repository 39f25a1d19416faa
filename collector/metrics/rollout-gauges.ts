// The rollout series on /metrics, read from the store at scrape time (one read per scrape, shared
// by the three):
//   bootwatch_rollouts_total{outcome,source}                    finished rollouts, all time
//   bootwatch_rollout_info{rollout,candidate,baseline,state,source}  1 per active rollout
//   bootwatch_rollout_verdict{rollout,verdict}                  per active rollout, 1 for its
//       latest verdict, 0 for the other two (no series before its first verdict)
//
// The counter is the store's count, so every replica shows the same value: sum it over nothing
// but take `max without (instance)` across replicas (the generated rules do). Its six series
// (three outcomes x two sources) are shown from the first scrape at 0, so that increase() counts
// the first rollout of each kind (issue 15.2: a series appears at 0 before it counts).
//
// Bounded: only active rollouts have gauges; a finished one leaves them. Active rollouts cannot
// overlap in scope, so there are at most as many as groups; past `cap` the newest `cap` are kept.
// Example: rollout 7 (candidate 1.4, baseline 1.3) whose last look said hold gives
//   bootwatch_rollout_info{rollout="7",candidate="1.4",baseline="1.3",state="canary",source="api"} 1
//   bootwatch_rollout_verdict{rollout="7",verdict="promote"} 0   (hold 1, rollback 0)
import type { Registry } from 'prom-client';
import { NoBaselineLabelValue, PromLabel, PromMetric } from '../../shared/conventions.js';
import {
  FinishedRolloutStates,
  RolloutSources,
  type FinishedCount,
  type Rollout,
} from '../rollouts/rollout-model.js';
import type { Verdict } from '../rollouts/verdict-model.js';
import type { Store } from '../store/store.js';
import { registerStoreSeries, type Sample, type StoreSeries } from './store-gauges.js';

const Verdicts: readonly Verdict[] = ['promote', 'hold', 'rollback'];

interface RolloutState {
  active: readonly Rollout[];
  finished: readonly FinishedCount[];
}

/** The samples of each series, by metric name. Pure, for the registry and for tests. */
export function rolloutSamples(state: RolloutState, cap: number): Record<string, Sample[]> {
  const totals: Sample[] = [];
  for (const outcome of FinishedRolloutStates) {
    for (const source of RolloutSources) {
      const count = state.finished
        .filter((f) => f.outcome === outcome && f.source === source)
        .reduce((sum, f) => sum + f.count, 0);
      totals.push({
        labels: { [PromLabel.outcome]: outcome, [PromLabel.source]: source },
        value: count,
      });
    }
  }
  const shown = state.active
    .filter((r) => r.state === 'canary')
    .sort((a, b) => b.startedAtMs - a.startedAtMs || b.id - a.id)
    .slice(0, cap);
  const info: Sample[] = [];
  const verdicts: Sample[] = [];
  for (const r of shown) {
    const rollout = String(r.id);
    info.push({
      labels: {
        [PromLabel.rollout]: rollout,
        [PromLabel.candidate]: r.candidate,
        [PromLabel.baseline]: r.baseline ?? NoBaselineLabelValue,
        [PromLabel.state]: r.state,
        [PromLabel.source]: r.source,
      },
      value: 1,
    });
    const latest = r.lastVerdict?.verdict;
    if (latest === undefined) continue;
    for (const verdict of Verdicts) {
      verdicts.push({
        labels: { [PromLabel.rollout]: rollout, [PromLabel.verdict]: verdict },
        value: verdict === latest ? 1 : 0,
      });
    }
  }
  return {
    [PromMetric.rolloutsTotal]: totals,
    [PromMetric.rolloutInfo]: info,
    [PromMetric.rolloutVerdict]: verdicts,
  };
}

const Series: Record<string, StoreSeries> = {
  [PromMetric.rolloutsTotal]: {
    type: 'counter',
    help:
      'Finished rollouts, all time, by outcome (promoted, rolled_back, aborted) and source (api: ' +
      'a pipeline; detected: from launches). The store count: every replica shows the same value.',
  },
  [PromMetric.rolloutInfo]: {
    type: 'gauge',
    help: '1 per active rollout (a canary), with its id, candidate and baseline versions.',
  },
  [PromMetric.rolloutVerdict]: {
    type: 'gauge',
    help: 'Per active rollout, 1 for its latest verdict (promote, hold, rollback), 0 otherwise.',
  },
};

/** Registers the three series on `registry` (store-gauges.ts: one read per scrape). */
export function registerRolloutGauges(
  registry: Registry,
  store: Pick<Store, 'rollouts'>,
  cap: number,
  onError: (e: unknown) => void = () => undefined,
): void {
  const read = async () => {
    const [active, finished] = await Promise.all([
      store.rollouts.list('canary'),
      store.rollouts.countFinished(0),
    ]);
    return rolloutSamples({ active, finished }, cap);
  };
  const initial = rolloutSamples({ active: [], finished: [] }, cap);
  registerStoreSeries(registry, Series, read, initial, onError);
}
