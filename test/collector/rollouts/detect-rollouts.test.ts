// Detected rollouts end to end through the store, on both engines: launches learned from Auto
// Scaling and CloudTrail events alone (the AMI's version from the image registry) and from agent
// reports alone, a switch back counted as a rollback, a window passing as a promote, the run
// repeated without recording anything twice, and an API rollout's scope left alone.
import { expect, it } from 'vitest';
import { detectAndRecord, lookAtDetected } from '../../../collector/rollouts/detect-rollouts.js';
import { EvidenceBook } from '../../../collector/rollouts/evidence-book.js';
import { RolloutJudge } from '../../../collector/rollouts/rollout-judge.js';
import { SloEngine } from '../../../collector/slo/slo-engine.js';
import { defaultSlos } from '../../../shared/slo/defaults.js';
import { DefaultScanPolicy } from '../../../shared/slo/scan-policy.js';
import type { Store } from '../../../collector/store/store.js';
import { ManualClock } from '../../../shared/clock.js';
import { bootReport, describeStores, instanceEvent, iso, T0 } from '../../support/stores.js';

const H = 3_600_000;
const Window = 24 * H;
const quiet = { info: () => undefined };

/** One launch known from events only: Auto Scaling names the group, CloudTrail the AMI. */
async function launchFromEvents(
  store: Store,
  id: string,
  asg: string,
  amiId: string,
  hour: number,
) {
  await store.recordEvents(
    [
      instanceEvent({ instanceId: id, asg, amiId: undefined, atMs: T0 + hour * H }),
      instanceEvent({
        instanceId: id,
        source: 'aws.cloudtrail',
        detailType: 'AWS API Call via CloudTrail',
        asg: undefined,
        amiId,
        atMs: T0 + hour * H,
      }),
    ],
    T0 + hour * H,
  );
}

/** One launch known from its agent's report only. */
async function launchFromReport(
  store: Store,
  id: string,
  asg: string,
  version: string,
  hour: number,
) {
  await store.upsertBoot(
    bootReport({
      instanceId: id,
      asg,
      amiId: `ami-${version}`,
      amiVersion: version,
      launchedAt: iso(T0 + hour * H),
    }),
    T0 + hour * H + 60_000,
  );
}

describeStores('detected rollouts', (harness) => {
  it('reads the launches of groups that ran more than one version only', async () => {
    const store = await harness().open();
    const sightings = async () =>
      (await store.launchSightings(T0 - H)).map((l) => `${l.instanceId} ${l.amiVersion}`).sort();
    await launchFromReport(store, 'i-api-1', 'api', '1.0', 0);
    await launchFromReport(store, 'i-api-2', 'api', '1.0', 1);
    await launchFromReport(store, 'i-web-1', 'web', '1.0', 0);
    // Two groups at rest: nothing to carry into the detector.
    expect(await sightings()).toEqual([]);
    await launchFromReport(store, 'i-web-2', 'web', '1.1', 1);
    expect(await sightings()).toEqual(['i-web-1 1.0', 'i-web-2 1.1']);
  });

  it('from events alone: a rollout, then a switch back counted as a rollback', async () => {
    const store = await harness().open();
    const clock = new ManualClock(T0);
    const run = () => detectAndRecord({ store, clock, switchBackWindowMs: Window, log: quiet });
    for (const [amiId, version] of [
      ['ami-0000000000000aaa1', '1.0'],
      ['ami-0000000000000aaa2', '1.1'],
    ] as const) {
      await store.upsertImage({
        amiId,
        region: 'us-east-1',
        name: null,
        version,
        build: {},
        source: 'registry',
        registeredAtMs: T0 - Window,
      });
    }
    await launchFromEvents(store, 'i-web-1', 'web', 'ami-0000000000000aaa1', 0);
    await launchFromEvents(store, 'i-web-2', 'web', 'ami-0000000000000aaa1', 1);
    await launchFromEvents(store, 'i-web-3', 'web', 'ami-0000000000000aaa2', 2);

    clock.set(T0 + 3 * H);
    // Each kind of launch the store knows is one sighting: unsettled (events only), decided by
    // the sweeper (no_report), and reported before its launch event arrived.
    const sightingsNow = async () =>
      (await store.launchSightings(T0 - H))
        .map((l) => `${l.instanceId} ${l.amiVersion} ${l.asg}`)
        .sort();
    const expected = ['i-web-1 1.0 web', 'i-web-2 1.0 web', 'i-web-3 1.1 web'];
    expect(await sightingsNow()).toEqual(expected);
    expect((await store.sweep(T0 + 3 * H, 15 * 60_000)).length).toBe(3);
    expect(await sightingsNow()).toEqual(expected);
    await launchFromReport(store, 'i-web-0', 'web', '1.0', -0.5);
    await launchFromEvents(store, 'i-web-0', 'web', 'ami-0000000000000aaa1', -0.5);
    expect(await sightingsNow()).toEqual(['i-web-0 1.0 web', ...expected]);
    const first = await run();
    expect(first.started).toMatchObject([
      {
        candidate: '1.1',
        baseline: '1.0',
        scope: { asgs: ['web'], regions: ['us-east-1'] },
        startedAtMs: T0 + 2 * H,
        state: 'canary',
        source: 'detected',
      },
    ]);
    expect(await run()).toEqual({ started: [], finished: [] });

    await launchFromEvents(store, 'i-web-4', 'web', 'ami-0000000000000aaa1', 5);
    clock.set(T0 + 6 * H);
    const back = await run();
    expect(back.started).toEqual([]);
    expect(back.finished).toMatchObject([
      { id: first.started[0]!.id, state: 'rolled_back', finishedAtMs: T0 + 5 * H },
    ]);
    expect(await run()).toEqual({ started: [], finished: [] });
    expect(await store.rollouts.countFinished(0)).toEqual([
      { outcome: 'rolled_back', source: 'detected', count: 1 },
    ]);
  });

  it('looks at the verdict of each active detected rollout, as a pipeline would', async () => {
    const store = await harness().open();
    const clock = new ManualClock(T0 + 4 * H);
    await launchFromReport(store, 'i-api-1', 'api', '2.0', 0);
    await launchFromReport(store, 'i-api-2', 'api', '2.1', 3);
    const [detected] = (
      await detectAndRecord({ store, clock, switchBackWindowMs: Window, log: quiet })
    ).started;
    const slo = new SloEngine({ slos: defaultSlos(), store, clock, heartbeatWindowMs: 300_000 });
    const judge = new RolloutJudge({
      store,
      evidence: new EvidenceBook(store),
      slo,
      scanPolicy: DefaultScanPolicy,
      clock,
    });
    const looked = await lookAtDetected(store, judge);
    expect([...looked]).toEqual([[detected!.id, 'hold']]);
    expect((await store.rollouts.get(detected!.id))?.lastVerdict?.verdict).toBe('hold');
  });

  it('from agent reports alone: a rollout promoted once the window passes', async () => {
    const store = await harness().open();
    const clock = new ManualClock(T0 + 4 * H);
    const run = () => detectAndRecord({ store, clock, switchBackWindowMs: Window, log: quiet });
    await launchFromReport(store, 'i-api-1', 'api', '2.0', 0);
    await launchFromReport(store, 'i-api-2', 'api', '2.1', 3);
    await launchFromReport(store, 'i-api-3', 'api', '2.1', 4);
    expect((await run()).started).toMatchObject([
      { candidate: '2.1', baseline: '2.0', state: 'canary' },
    ]);
    clock.set(T0 + 26 * H);
    expect((await run()).finished).toEqual([]);
    clock.set(T0 + 27 * H);
    expect((await run()).finished).toMatchObject([
      { candidate: '2.1', state: 'promoted', finishedAtMs: T0 + 27 * H },
    ]);
    expect(await run()).toEqual({ started: [], finished: [] });
  });

  it('leaves a group alone while a pipeline canaries there through the API, and a window after', async () => {
    const store = await harness().open();
    const clock = new ManualClock(T0 + 4 * H);
    await store.rollouts.create({
      candidate: '3.1',
      baseline: '3.0',
      scope: { asgs: ['batch'], regions: [] },
      startedAtMs: T0 + H,
      policy: {},
      source: 'api',
    });
    await launchFromReport(store, 'i-batch-1', 'batch', '3.0', 0);
    await launchFromReport(store, 'i-batch-2', 'batch', '3.1', 2);
    // The pipeline's canary launches both versions side by side: no detected rollback either.
    await launchFromReport(store, 'i-batch-3', 'batch', '3.0', 3);
    const result = await detectAndRecord({
      store,
      clock,
      switchBackWindowMs: Window,
      log: quiet,
    });
    expect(result).toEqual({ started: [], finished: [] });
    // Promoted at 4 h; a switch back at 6 h is still the pipeline's, one at 30 h is detected.
    await store.rollouts.finish(1, 'promoted', T0 + 4 * H, null);
    await launchFromReport(store, 'i-batch-4', 'batch', '3.1', 5);
    await launchFromReport(store, 'i-batch-5', 'batch', '3.0', 6);
    clock.set(T0 + 7 * H);
    const again = () => detectAndRecord({ store, clock, switchBackWindowMs: Window, log: quiet });
    expect(await again()).toEqual({ started: [], finished: [] });
    expect((await store.rollouts.list()).map((r) => r.source)).toEqual(['api']);
    await launchFromReport(store, 'i-batch-6', 'batch', '3.1', 30);
    clock.set(T0 + 31 * H);
    expect((await again()).started).toMatchObject([
      { candidate: '3.1', baseline: '3.0', startedAtMs: T0 + 30 * H, source: 'detected' },
    ]);
  });
});
