// Looks at one rollout's verdict from two collectors (replicas) at once, on both engines: every
// look answers, each was stored over the one before it (distinct times, the last one kept), so no
// two looks spent from the same ledger. And a policy that requires a scan holds without one.
import { expect, it } from 'vitest';
import type { ImageRecord } from '../../../collector/model.js';
import type { VerdictAnswer } from '../../../collector/rollouts/rollout-judge.js';
import { ManualClock } from '../../../shared/clock.js';
import { bootReport, describeStores, T0 } from '../../support/stores.js';
import { adminAuth, testApp } from '../server/harness.js';

/** A registry entry of `version`, so that a rollout may name it. */
const image = (version: string, amiId: string): ImageRecord => ({
  amiId,
  region: null,
  name: null,
  version,
  build: {},
  source: 'registry',
  registeredAtMs: T0,
});

describeStores('rollout verdict looks', (harness) => {
  it('stores each of concurrent looks from two replicas over the previous one', async () => {
    const h = harness();
    const clock = new ManualClock(T0);
    const stores = [await h.open({ clock }), await h.open({ replicaId: 'r2', clock })];
    const apps = await Promise.all(stores.map((s) => testApp(s, clock)));
    for (const version of ['1.4.0', '1.5.0']) {
      await stores[0]!.upsertImage(
        image(version, `ami-0abc1234def56789${version === '1.4.0' ? '0' : '1'}`),
      );
    }
    const started = await apps[0]!.inject({
      method: 'POST',
      url: '/api/v1/rollouts',
      headers: adminAuth,
      payload: { candidate: '1.5.0', baseline: '1.4.0', scope: { asgs: ['web-asg'] } },
    });
    expect(started.statusCode).toBe(201);
    for (let i = 0; i < 20; i += 1) {
      for (const version of ['1.4.0', '1.5.0']) {
        await stores[i % 2]!.upsertBoot(
          bootReport({
            instanceId: `i-${(i * 2 + (version === '1.4.0' ? 0 : 1)).toString(16).padStart(17, '0')}`,
            amiVersion: version,
            launchedAt: new Date(T0 + i * 1000).toISOString(),
          }),
          T0,
        );
      }
    }
    clock.set(T0 + 10 * 60_000);
    const looks = await Promise.all(
      [0, 1, 0, 1].map((i) =>
        apps[i]!.inject({ url: '/api/v1/rollouts/1/verdict', headers: adminAuth }),
      ),
    );
    expect(looks.map((l) => l.statusCode)).toEqual([200, 200, 200, 200]);
    const times = looks.map((l) => l.json<VerdictAnswer>().judgedAtMs);
    expect(new Set(times).size).toBe(4);
    const stored = await stores[1]!.rollouts.get(1);
    expect(stored?.lastVerdict?.atMs).toBe(Math.max(...times));
    await Promise.all(apps.map((a) => a.close()));
  });

  it('holds without a scan when the policy requires one', async () => {
    const h = harness();
    const clock = new ManualClock(T0);
    const store = await h.open({ clock });
    const app = await testApp(store, clock);
    await store.upsertImage(image('1.4.0', 'ami-0abc1234def567890'));
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/rollouts',
      headers: adminAuth,
      payload: { candidate: '1.4.0', scope: {}, policy: { requireScan: true } },
    });
    expect(r.statusCode).toBe(201);
    const v = (
      await app.inject({ url: '/api/v1/rollouts/1/verdict', headers: adminAuth })
    ).json<VerdictAnswer>();
    expect(v.verdict).toBe('hold');
    expect(v.checks.find((c) => c.name === 'image_scan')).toMatchObject({ decision: 'hold' });
    expect(v.notes).toContain('no baseline version: judged against the SLOs alone');
    await app.close();
  });
});
