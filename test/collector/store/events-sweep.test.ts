import { expect, it } from 'vitest';
import { PromMetric } from '../../../shared/conventions.js';
import { isBootwatchError } from '../../../shared/errors.js';
import { labelRecord } from '../../../collector/store/counter-deltas.js';
import { bootReport, describeStores, instanceEvent, iso, T0 } from '../../support/stores.js';

const Deadline = 15 * 60_000;
const AllTime = { fromMs: 0, toMs: 8.64e15 };

describeStores('store: events and the sweeper', (harness) => {
  it('deduplicates events by id and counts each new launch once', async () => {
    const store = await harness().open();
    await store.upsertImage({
      amiId: 'ami-0abc1234def567890',
      region: 'us-east-1',
      name: 'web',
      version: '1.4.0',
      build: {},
      source: 'registry',
      registeredAtMs: T0,
    });
    const pending = instanceEvent({ eventId: 'e-pending', kind: 'launched', source: 'aws.ec2' });
    const running = instanceEvent({ eventId: 'e-running', kind: 'running', atMs: T0 + 30_000 });
    const first = await store.recordEvents([pending, pending, running], T0 + 1000);
    expect(first.fresh.map((e) => e.eventId)).toEqual(['e-pending', 'e-running']);
    expect(
      first.counters.map((c) => [c.family, labelRecord(c), c.kind === 'counter' && c.value]),
    ).toEqual([
      [
        PromMetric.launchesTotal,
        {
          ami_id: 'ami-0abc1234def567890',
          ami_version: '1.4.0',
          region: 'us-east-1',
          asg: 'web-asg',
          instance_type: 'm5.large',
        },
        1,
      ],
    ]);
    const again = await store.recordEvents([running, pending], T0 + 2000);
    expect(again).toEqual({ fresh: [], counters: [] });
    const other = await store.recordEvents(
      [instanceEvent({ eventId: 'e-other', instanceId: 'i-other', kind: 'running' })],
      T0 + 3000,
    );
    expect(labelRecord(other.counters[0]!).ami_version).toBe('1.4.0');
    const launches = (await store.loadCounters()).filter(
      (c) => c.family === PromMetric.launchesTotal,
    );
    expect(launches.map((c) => c.kind === 'counter' && c.value)).toEqual([2]);
  });

  it('merges facts by instance whatever order the events arrive in', async () => {
    const store = await harness().open();
    const id = 'i-0merge';
    const bare = { instanceId: id, amiId: undefined, instanceType: undefined, asg: undefined };
    await store.recordEvents(
      [instanceEvent({ ...bare, eventId: 'e3', kind: 'terminated', atMs: T0 + 120_000 })],
      T0,
    );
    expect(await store.getLaunch(id)).toBeNull(); // a termination alone is not a launch
    await store.recordEvents(
      [
        instanceEvent({ ...bare, eventId: 'e2', kind: 'running', atMs: T0 + 40_000 }),
        instanceEvent({ ...bare, eventId: 'e1', kind: 'launched', atMs: T0, amiId: 'ami-1' }),
        instanceEvent({
          ...bare,
          eventId: 'e4',
          kind: 'other',
          asg: 'late-asg',
          instanceType: 'c7g.large',
        }),
      ],
      T0,
    );
    expect(await store.getLaunch(id)).toEqual({
      instanceId: id,
      launchedAtMs: T0,
      amiId: 'ami-1',
      region: 'us-east-1',
      accountId: '123456789012',
      instanceType: 'c7g.large',
      availabilityZone: 'us-east-1a',
      asg: 'late-asg',
      state: 'terminated',
      terminatedAtMs: T0 + 120_000,
      reported: false,
      decidedAtMs: null,
      statusMessage: null,
    });
  });

  it('decides no_report at the deadline, once, charged to the version the registry knows', async () => {
    const store = await harness().open();
    await store.upsertImage({
      amiId: 'ami-0abc1234def567890',
      region: null,
      name: null,
      version: '1.4.0',
      build: {},
      source: 'registry',
      registeredAtMs: T0,
    });
    await store.recordEvents([instanceEvent({ asg: undefined })], T0);
    expect(await store.sweep(T0 + Deadline - 1, Deadline)).toEqual([]);
    const [decided, ...rest] = await store.sweep(T0 + Deadline + 5000, Deadline);
    expect(rest).toEqual([]);
    expect(decided?.status).toBe('inserted');
    expect(decided?.boot).toMatchObject({
      instanceId: 'i-0a1b2c3d4e5f60001',
      bootId: '',
      firstBoot: true,
      source: 'collector',
      outcome: 'failure',
      reason: 'no_report',
      timeToReadySeconds: 900,
      launchedAt: iso(T0),
      outcomeAtMs: T0 + Deadline,
      amiVersion: '1.4.0',
      region: 'us-east-1',
      instanceType: 'm5.large',
    });
    expect(decided?.boot.asg).toBeUndefined();
    const total = decided?.counters.find((c) => c.family === PromMetric.bootsTotal);
    expect(labelRecord(total!)).toMatchObject({
      reason: 'no_report',
      asg: '',
      ami_version: '1.4.0',
    });
    expect(await store.sweep(T0 + 2 * Deadline, Deadline)).toEqual([]);
    expect((await store.getLaunch('i-0a1b2c3d4e5f60001'))?.decidedAtMs).toBe(T0 + Deadline + 5000);
    const [rollup] = await store.rollups(AllTime);
    expect(rollup).toMatchObject({ reason: 'no_report', count: 1, minuteMs: T0 + Deadline });
  });

  it('decides terminated_before_ready with the time from launch to termination', async () => {
    const store = await harness().open();
    await store.recordEvents(
      [
        instanceEvent({ eventId: 'l', instanceId: 'i-short', amiId: 'ami-unregistered' }),
        instanceEvent({
          eventId: 't',
          instanceId: 'i-short',
          kind: 'terminated',
          atMs: T0 + 75_000,
        }),
      ],
      T0,
    );
    const [decided] = await store.sweep(T0 + 80_000, Deadline);
    expect(decided?.boot).toMatchObject({
      reason: 'terminated_before_ready',
      timeToReadySeconds: 75,
      outcomeAtMs: T0 + 75_000,
      amiVersion: 'unknown',
    });
  });

  it('keeps an Auto Scaling launch failure without instance id, keyed by its event id', async () => {
    const store = await harness().open();
    const failed = instanceEvent({
      eventId: 'asg-activity-1',
      instanceId: '',
      kind: 'launch_failed',
      message: 'InsufficientInstanceCapacity',
    });
    await store.recordEvents([failed], T0);
    expect(await store.getLaunch('asg-activity-1')).toMatchObject({
      state: 'launch_failed',
      statusMessage: 'InsufficientInstanceCapacity',
    });
    const [decided] = await store.sweep(T0 + Deadline, Deadline);
    expect(decided?.boot.reason).toBe('no_report');
    expect(decided?.boot.failureDetail).toContain('InsufficientInstanceCapacity');
  });

  it('lets a late report correct the no_report: the failure is replaced and retracted', async () => {
    const store = await harness().open();
    await store.recordEvents([instanceEvent()], T0);
    const [decided] = await store.sweep(T0 + Deadline, Deadline);
    const late = await store.upsertBoot(bootReport({ timeToReadySeconds: 61 }), T0 + 2 * Deadline);
    expect(late.status).toBe('updated');
    const retraction = late.counters.find((c) => c.family === PromMetric.bootsRetractedTotal);
    expect(retraction?.labels).toEqual(
      decided?.counters.find((c) => c.family === PromMetric.bootsTotal)?.labels,
    );
    expect((await store.getBoots('i-0a1b2c3d4e5f60001')).map((b) => b.source)).toEqual(['agent']);
    const rollups = await store.rollups(AllTime);
    expect(rollups.map((r) => [r.reason, r.count, r.minuteMs])).toEqual([['none', 1, T0 + 60_000]]);
    expect((await store.getLaunch('i-0a1b2c3d4e5f60001'))?.reported).toBe(true);
    const counters = await store.loadCounters();
    const sum = (name: string) =>
      counters.reduce((a, c) => a + (c.family === name && c.kind === 'counter' ? c.value : 0), 0);
    expect(sum(PromMetric.bootsTotal) - sum(PromMetric.bootsRetractedTotal)).toBe(1);
  });

  it('knows a report that came before its launch event: that launch is never swept', async () => {
    const store = await harness().open();
    await store.upsertBoot(bootReport(), T0 + 50_000);
    await store.recordEvents([instanceEvent()], T0 + 60_000);
    expect((await store.getLaunch('i-0a1b2c3d4e5f60001'))?.reported).toBe(true);
    expect(await store.sweep(T0 + 2 * Deadline, Deadline)).toEqual([]);
  });

  it('counts running and heartbeating instances for coverage', async () => {
    const store = await harness().open();
    await store.recordEvents(
      ['i-a', 'i-b', 'i-c'].map((id) => instanceEvent({ eventId: `l-${id}`, instanceId: id })),
      T0,
    );
    await store.recordEvents(
      [instanceEvent({ eventId: 't-c', instanceId: 'i-c', kind: 'terminated', atMs: T0 + 1 })],
      T0,
    );
    const beat = { amiId: 'ami-1', amiVersion: '1.4.0', region: 'us-east-1', asg: 'web-asg' };
    await store.recordHeartbeats([
      { ...beat, instanceId: 'i-a', atMs: T0 + 60_000 },
      { ...beat, instanceId: 'i-a', atMs: T0 + 10_000 },
      { ...beat, instanceId: 'i-b', atMs: T0 + 5_000 },
      { ...beat, instanceId: 'i-c', atMs: T0 + 60_000 },
    ]);
    expect(await store.coverage(T0 + 30_000)).toEqual({ running: 2, heartbeating: 1 });
    expect(await store.coverage(T0)).toEqual({ running: 2, heartbeating: 2 });
  });

  it('stores nothing of an event batch that fails half-way', async () => {
    const store = await harness().open();
    const good = instanceEvent({ eventId: 'a-good' });
    const bad = { ...instanceEvent({ eventId: 'z-bad', instanceId: 'i-bad' }), kind: 'exploded' };
    const error = await store
      .recordEvents([good, bad as unknown as typeof good], T0)
      .catch((e: unknown) => e);
    expect(isBootwatchError(error, 'BW_STORE_WRITE')).toBe(true);
    expect(await store.getLaunch('i-0a1b2c3d4e5f60001')).toBeNull();
    expect(await store.loadCounters()).toEqual([]);
    expect((await store.recordEvents([good], T0)).fresh).toEqual([good]);
  });

  it('takes fractional milliseconds (a compressed-time clock) and stores whole ones', async () => {
    const store = await harness().open();
    await store.recordEvents([instanceEvent({ atMs: T0 + 0.4 })], T0 + 0.6);
    await store.recordHeartbeats([
      {
        instanceId: 'i-0a1b2c3d4e5f60001',
        amiId: 'a',
        amiVersion: 'v',
        region: 'r',
        asg: '',
        atMs: T0 + 0.7,
      },
    ]);
    expect(await store.coverage(T0 + 0.5)).toEqual({ running: 1, heartbeating: 1 });
    const [decided] = await store.sweep(T0 + Deadline + 0.5, Deadline + 0.25);
    expect(decided?.boot.reason).toBe('no_report');
    expect((await store.getLaunch('i-0a1b2c3d4e5f60001'))?.launchedAtMs).toBe(T0);
    const late = await store.upsertBoot(bootReport(), T0 + 0.5);
    expect(late.boot.receivedAtMs).toBe(T0 + 1);
    expect(await store.pruneBoots(T0 + 0.5)).toBe(0);
  });
});
