// The rollout series on /metrics: the six counter series at 0 before any rollout finished, one
// info series per active rollout with its latest verdict, finished rollouts gone from the gauges;
// then read from a real store on both engines.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  registerRolloutGauges,
  rolloutSamples,
} from '../../../collector/metrics/rollout-gauges.js';
import type { Rollout } from '../../../collector/rollouts/rollout-model.js';
import { initialVerdictState } from '../../../collector/rollouts/verdict.js';
import { describeStores, T0 } from '../../support/stores.js';

function canary(id: number, over: Partial<Rollout> = {}): Rollout {
  return {
    id,
    candidate: `2.${id}`,
    baseline: '1.9',
    scope: { asgs: [`asg-${id}`], regions: [] },
    startedAtMs: T0 + id,
    policy: {},
    state: 'canary',
    source: 'api',
    finishedAtMs: null,
    note: null,
    lastVerdict: null,
    ...over,
  };
}

describe('rolloutSamples', () => {
  it('shows the six counter series at 0 before anything finished', () => {
    const samples = rolloutSamples({ active: [], finished: [] }, 10);
    expect(samples.bootwatch_rollouts_total).toEqual([
      { labels: { outcome: 'promoted', source: 'api' }, value: 0 },
      { labels: { outcome: 'promoted', source: 'detected' }, value: 0 },
      { labels: { outcome: 'rolled_back', source: 'api' }, value: 0 },
      { labels: { outcome: 'rolled_back', source: 'detected' }, value: 0 },
      { labels: { outcome: 'aborted', source: 'api' }, value: 0 },
      { labels: { outcome: 'aborted', source: 'detected' }, value: 0 },
    ]);
    expect(samples.bootwatch_rollout_info).toEqual([]);
    expect(samples.bootwatch_rollout_verdict).toEqual([]);
  });

  it('one info series per canary, its latest verdict 1 and the others 0, newest first past the cap', () => {
    const judged = canary(2, {
      baseline: null,
      source: 'detected',
      lastVerdict: {
        verdict: 'rollback',
        atMs: T0,
        checks: [],
        notes: [],
        state: initialVerdictState(),
      },
    });
    const finished = canary(4, { state: 'promoted', finishedAtMs: T0 + 10 });
    const samples = rolloutSamples(
      {
        active: [canary(1), judged, canary(3), finished],
        finished: [{ outcome: 'rolled_back', source: 'detected', count: 3 }],
      },
      2,
    );
    expect(samples.bootwatch_rollout_info).toEqual([
      {
        labels: { rollout: '3', candidate: '2.3', baseline: '1.9', state: 'canary', source: 'api' },
        value: 1,
      },
      {
        labels: {
          rollout: '2',
          candidate: '2.2',
          baseline: 'none',
          state: 'canary',
          source: 'detected',
        },
        value: 1,
      },
    ]);
    expect(samples.bootwatch_rollout_verdict).toEqual([
      { labels: { rollout: '2', verdict: 'promote' }, value: 0 },
      { labels: { rollout: '2', verdict: 'hold' }, value: 0 },
      { labels: { rollout: '2', verdict: 'rollback' }, value: 1 },
    ]);
    expect(
      samples.bootwatch_rollouts_total!.find(
        (s) => s.labels.outcome === 'rolled_back' && s.labels.source === 'detected',
      )?.value,
    ).toBe(3);
  });
});

describeStores('rollout gauges from the store', (harness) => {
  it('count finished rollouts and show active ones only', async () => {
    const store = await harness().open();
    const registry = new Registry();
    registerRolloutGauges(registry, store, 10);
    const base = { baseline: '1.0', startedAtMs: T0, policy: {}, source: 'api' as const };
    const web = await store.rollouts.create({
      ...base,
      candidate: '1.1',
      scope: { asgs: ['web'], regions: [] },
    });
    await store.rollouts.create({
      ...base,
      candidate: '1.2',
      source: 'detected',
      scope: { asgs: ['api'], regions: [] },
    });
    await store.rollouts.finish(web.id, 'rolled_back', T0 + 60_000, 'failed canary');
    const text = await registry.metrics();
    expect(text).toContain('# TYPE bootwatch_rollouts_total counter');
    expect(text).toContain('bootwatch_rollouts_total{outcome="rolled_back",source="api"} 1');
    expect(text).toContain('bootwatch_rollouts_total{outcome="promoted",source="detected"} 0');
    expect(text).toContain(
      'bootwatch_rollout_info{rollout="2",candidate="1.2",baseline="1.0",state="canary",source="detected"} 1',
    );
    expect(text).not.toContain('bootwatch_rollout_info{rollout="1"');
  });
});
