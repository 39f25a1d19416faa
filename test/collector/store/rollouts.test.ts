// Rollouts in the store, on both engines: created as canaries, refused (nothing stored) when an
// active rollout's scope overlaps, finished once only, their verdict saved only over the one it
// was computed from, and finished rollouts counted by outcome and source (M6).
import { expect, it } from 'vitest';
import { isBootwatchError } from '../../../shared/errors.js';
import type { NewRollout, StoredVerdict } from '../../../collector/rollouts/rollout-model.js';
import { initialVerdictState } from '../../../collector/rollouts/verdict.js';
import { describeStores, T0 } from '../../support/stores.js';

function rollout(over: Partial<NewRollout> = {}): NewRollout {
  return {
    candidate: '2.0',
    baseline: '1.9',
    scope: { asgs: ['web'], regions: [] },
    startedAtMs: T0,
    policy: { minBootsPerSide: 20 },
    source: 'api',
    ...over,
  };
}

function verdict(atMs: number, v: StoredVerdict['verdict'] = 'hold'): StoredVerdict {
  return { verdict: v, atMs, checks: [], notes: [`look at ${atMs}`], state: initialVerdictState() };
}

async function expectCode(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isBootwatchError(e, code as never)).toBe(true);
  expect((e as Error).message).toMatch(message);
}

describeStores('store: rollouts', (harness) => {
  it('records a detected rollout once, finished or not, whoever detects it', async () => {
    const store = await harness().open();
    const window = 24 * 3_600_000;
    const seen = rollout({
      source: 'detected',
      scope: { asgs: ['web'], regions: ['eu-west-1'] },
      sameAsWithinMs: window,
    });
    // Two replicas' detectors at once: one stores it, the other is refused.
    const both = await Promise.allSettled([
      store.rollouts.create(seen),
      store.rollouts.create({ ...seen, startedAtMs: T0 - 60_000 }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const [stored] = await store.rollouts.list();
    await store.rollouts.finish(stored!.id, 'rolled_back', T0 + 600_000, 'switched back');
    // Already over when the other replica first sees it: still the same rollout.
    await expectCode(store.rollouts.create(seen), 'BW_ROLLOUT_CONFLICT', /already recorded/);
    expect(await store.rollouts.list()).toHaveLength(1);
    // Another candidate is another rollout.
    await store.rollouts.create({ ...seen, candidate: '2.1', startedAtMs: T0 + 3_600_000 });
    expect((await store.rollouts.list()).map((r) => r.candidate)).toEqual(['2.0', '2.1']);
  });

  it('stores a canary and reads it back as given', async () => {
    const store = await harness().open();
    const created = await store.rollouts.create(rollout());
    expect(created).toEqual({
      id: 1,
      candidate: '2.0',
      baseline: '1.9',
      scope: { asgs: ['web'], regions: [] },
      startedAtMs: T0,
      policy: { minBootsPerSide: 20 },
      state: 'canary',
      source: 'api',
      finishedAtMs: null,
      note: null,
      lastVerdict: null,
    });
    expect(await store.rollouts.get(1)).toEqual(created);
    expect(await store.rollouts.get(2)).toBeNull();
    const first = await store.rollouts.create(
      rollout({ candidate: '7', baseline: null, scope: { asgs: ['api'], regions: ['eu-west-1'] } }),
    );
    expect(first.baseline).toBeNull();
    expect((await store.rollouts.list()).map((r) => r.id)).toEqual([1, 2]);
    expect((await store.rollouts.list('canary')).map((r) => r.id)).toEqual([1, 2]);
    expect(await store.rollouts.list('promoted')).toEqual([]);
  });

  it('refuses an overlapping canary, storing nothing, and allows it once the first finished', async () => {
    const store = await harness().open();
    await store.rollouts.create(rollout());
    // Every region of the group web overlaps web; web in one region overlaps too.
    await expectCode(
      store.rollouts.create(rollout({ candidate: '2.1' })),
      'BW_ROLLOUT_CONFLICT',
      /^rollout 1 \(2\.0\) is already a canary in asgs web in every region, which overlaps asgs web in every region/,
    );
    await expectCode(
      store.rollouts.create(rollout({ scope: { asgs: [], regions: ['us-east-1'] } })),
      'BW_ROLLOUT_CONFLICT',
      /overlaps every group in regions us-east-1/,
    );
    expect(await store.rollouts.list()).toHaveLength(1);
    // Another group does not overlap.
    const other = await store.rollouts.create(rollout({ scope: { asgs: ['batch'], regions: [] } }));
    expect(other.id).toBe(2);
    await store.rollouts.finish(1, 'promoted', T0 + 3_600_000, 'all good');
    const again = await store.rollouts.create(rollout({ candidate: '2.1', baseline: '2.0' }));
    expect(again.state).toBe('canary');
  });

  it('lets only one of two overlapping canaries started at once win', async () => {
    const h = harness();
    const a = await h.open();
    const b = await h.open({ replicaId: 'r2' });
    const results = await Promise.allSettled([
      a.rollouts.create(rollout()),
      b.rollouts.create(rollout({ candidate: '2.1' })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(isBootwatchError(refused?.reason, 'BW_ROLLOUT_CONFLICT')).toBe(true);
    expect(await a.rollouts.list()).toHaveLength(1);
  });

  it('finishes a canary once; a second finish or an unknown id changes nothing', async () => {
    const store = await harness().open();
    await store.rollouts.create(rollout());
    const done = await store.rollouts.finish(1, 'rolled_back', T0 + 600_000, 'verdict rollback');
    expect(done).toMatchObject({
      state: 'rolled_back',
      finishedAtMs: T0 + 600_000,
      note: 'verdict rollback',
    });
    await expectCode(
      store.rollouts.finish(1, 'promoted', T0 + 700_000, null),
      'BW_ROLLOUT_CONFLICT',
      /^rollout 1 is already rolled_back \(at 2025-03-01T12:10:00\.000Z\); only a canary can be marked promoted$/,
    );
    await expectCode(
      store.rollouts.finish(9, 'aborted', T0, null),
      'BW_NOT_FOUND',
      /^no rollout with id 9$/,
    );
    expect(await store.rollouts.get(1)).toEqual(done);
  });

  it('saves a verdict only over the one it was computed from, and only for a canary', async () => {
    const store = await harness().open();
    await store.rollouts.create(rollout());
    expect(await store.rollouts.saveVerdict(1, verdict(T0 + 60_000), null)).toBe(true);
    // A second first look (another replica) lost the race: nothing stored.
    expect(await store.rollouts.saveVerdict(1, verdict(T0 + 61_000, 'promote'), null)).toBe(false);
    expect(await store.rollouts.saveVerdict(1, verdict(T0 + 120_000), T0 + 90_000)).toBe(false);
    expect(
      await store.rollouts.saveVerdict(1, verdict(T0 + 120_000, 'rollback'), T0 + 60_000),
    ).toBe(true);
    const r = await store.rollouts.get(1);
    expect(r?.lastVerdict).toEqual(verdict(T0 + 120_000, 'rollback'));
    await store.rollouts.finish(1, 'rolled_back', T0 + 130_000, null);
    expect(await store.rollouts.saveVerdict(1, verdict(T0 + 180_000), T0 + 120_000)).toBe(false);
    expect((await store.rollouts.get(1))?.lastVerdict?.atMs).toBe(T0 + 120_000);
  });

  it('counts finished rollouts by outcome and source since a time', async () => {
    const store = await harness().open();
    const ends: [string, 'api' | 'detected', 'promoted' | 'rolled_back' | 'aborted', number][] = [
      ['a', 'api', 'promoted', T0 + 1_000],
      ['b', 'api', 'rolled_back', T0 + 2_000],
      ['c', 'detected', 'rolled_back', T0 + 3_000],
      ['d', 'detected', 'promoted', T0 - 5_000],
      ['e', 'api', 'promoted', T0 + 4_000],
    ];
    for (const [asg, source, state, at] of ends) {
      const r = await store.rollouts.create(
        rollout({ scope: { asgs: [asg], regions: [] }, source }),
      );
      await store.rollouts.finish(r.id, state, at, null);
    }
    await store.rollouts.create(rollout({ scope: { asgs: ['f'], regions: [] } })); // still a canary
    expect(await store.rollouts.countFinished(T0)).toEqual([
      { outcome: 'promoted', source: 'api', count: 2 },
      { outcome: 'rolled_back', source: 'api', count: 1 },
      { outcome: 'rolled_back', source: 'detected', count: 1 },
    ]);
  });
});
