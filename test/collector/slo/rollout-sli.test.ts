// M6 as an SLI (rollout_success): rollouts finished in each window and those rolled back, read
// from the store's rollouts on both engines, API and detected alike; the default SLOs carry it.
import { expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { defaultSlos } from '../../../shared/slo/defaults.js';
import { SloEngine } from '../../../collector/slo/slo-engine.js';
import type { Store } from '../../../collector/store/store.js';
import { describeStores, T0 } from '../../support/stores.js';

const DayMs = 86_400_000;

async function finishedRollout(
  store: Store,
  asg: string,
  state: 'promoted' | 'rolled_back' | 'aborted',
  atMs: number,
  source: 'api' | 'detected' = 'api',
) {
  const r = await store.rollouts.create({
    candidate: '2.0',
    baseline: '1.0',
    scope: { asgs: [asg], regions: [] },
    startedAtMs: atMs - 3_600_000,
    policy: {},
    source,
  });
  await store.rollouts.finish(r.id, state, atMs, null);
}

describeStores('rollout_success SLI (M6)', (harness) => {
  it('counts rollouts not rolled back over those finished, per window', async () => {
    const store = await harness().open();
    const now = T0 + 100 * DayMs;
    // In the last hour: one rollback (detected) and one promote; 10 days ago: 7 promotes and an
    // abort; 95 days ago (outside 90 days): a rollback that no longer counts.
    await finishedRollout(store, 'a', 'rolled_back', now - 10 * 60_000, 'detected');
    await finishedRollout(store, 'b', 'promoted', now - 20 * 60_000);
    for (let i = 0; i < 7; i += 1) {
      await finishedRollout(store, `c${i}`, 'promoted', now - 10 * DayMs);
    }
    await finishedRollout(store, 'd', 'aborted', now - 10 * DayMs);
    await finishedRollout(store, 'e', 'rolled_back', now - 95 * DayMs);
    // One still a canary: not finished, not counted.
    await store.rollouts.create({
      candidate: '3.0',
      baseline: '2.0',
      scope: { asgs: ['f'], regions: [] },
      startedAtMs: now - 60_000,
      policy: {},
      source: 'api',
    });
    const slos = defaultSlos().filter((s) => s.sli === 'rollout_success');
    expect(slos).toHaveLength(1);
    const engine = new SloEngine({
      slos,
      store,
      clock: new ManualClock(now),
      heartbeatWindowMs: 300_000,
    });
    const [m6] = (await engine.evaluate()).slos;
    expect(m6).toMatchObject({ name: 'rollout-success', sli: 'rollout_success', window: '90d' });
    const group = m6!.groups[0]!;
    expect(group.labels).toEqual({});
    const byWindow = Object.fromEntries(group.windows.map((w) => [w.window, w]));
    expect(byWindow['1h']).toMatchObject({ events: 2, errors: 1, sliRatio: 0.5 });
    expect(byWindow['90d']).toMatchObject({ events: 10, errors: 1, sliRatio: 0.9 });
    // 99% of 10 rollouts allows 0.1 rollbacks: one leaves 1 - 1 / 0.1 = -9.
    expect(group.budget.allowedErrors).toBeCloseTo(0.1, 12);
    expect(group.budget.remaining).toBeCloseTo(-9, 9);
  });
});
