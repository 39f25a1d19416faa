import { expect, it } from 'vitest';
import { PromMetric, TimeToReadyBuckets } from '../../../shared/conventions.js';
import { isBootwatchError } from '../../../shared/errors.js';
import { labelRecord } from '../../../collector/store/counter-deltas.js';
import { bootReport, describeStores, instanceEvent, MinuteMs, T0 } from '../../support/stores.js';

const AllTime = { fromMs: 0, toMs: 8.64e15 };

describeStores('store: boots', (harness) => {
  it('stores a report once: a repeat is unchanged and moves no rollup or counter', async () => {
    const store = await harness().open();
    const first = await store.upsertBoot(bootReport(), T0 + 50_000);
    expect(first.status).toBe('inserted');
    expect(first.boot).toMatchObject({ source: 'agent', receivedAtMs: T0 + 50_000 });
    expect(first.boot.outcomeAtMs).toBe(T0 + 42_500);
    const counters = await store.loadCounters();

    const repeat = await store.upsertBoot(bootReport(), T0 + 90_000);
    expect(repeat.status).toBe('unchanged');
    expect(repeat.counters).toEqual([]);
    expect(repeat.boot.receivedAtMs).toBe(T0 + 50_000);
    expect(await store.loadCounters()).toEqual(counters);
    const rollups = await store.rollups(AllTime);
    expect(rollups).toHaveLength(1);
    expect(rollups[0]).toMatchObject({ count: 1, ttrSum: 42.5, minuteMs: T0 });
    expect(await store.getBoots(bootReport().instanceId)).toEqual([first.boot]);
  });

  it('keeps the report as sent, optional fields included', async () => {
    const store = await harness().open();
    const report = bootReport({
      failureDetail: undefined,
      asg: undefined,
      kernelStartedAt: undefined,
    });
    await store.upsertBoot(report, T0);
    const [stored] = await store.getBoots(report.instanceId);
    if (stored === undefined) throw new Error('the boot was not stored');
    const { source, receivedAtMs, outcomeAtMs, ...asReported } = stored;
    expect({ source, receivedAtMs, outcomeAtMs }).toEqual({
      source: 'agent',
      receivedAtMs: T0,
      outcomeAtMs: T0 + 42_500,
    });
    expect(asReported).toEqual(
      Object.fromEntries(Object.entries(report).filter(([, v]) => v !== undefined)),
    );
  });

  it('counts a first boot: boots_total, the time-to-ready and phase histograms', async () => {
    const store = await harness().open();
    const { counters } = await store.upsertBoot(bootReport({ asg: undefined }), T0);
    const total = counters.filter((c) => c.family === PromMetric.bootsTotal);
    expect(total.map((c) => [labelRecord(c), c.kind === 'counter' && c.value])).toEqual([
      [
        {
          ami_id: 'ami-0abc1234def567890',
          ami_version: '1.4.0',
          region: 'us-east-1',
          asg: '',
          instance_type: 'm5.large',
          outcome: 'success',
          reason: 'none',
        },
        1,
      ],
    ]);
    const [ttr, ...more] = counters.filter((c) => c.family === PromMetric.timeToReadySeconds);
    expect(more).toEqual([]);
    if (ttr?.kind !== 'histogram') throw new Error('no time-to-ready observation');
    expect(labelRecord(ttr)).toEqual({
      ami_version: '1.4.0',
      region: 'us-east-1',
      asg: '',
      outcome: 'success',
    });
    // 42.5 s: one observation in the le="45" bucket (not cumulative), every bucket present.
    expect(ttr.buckets).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ttr.buckets).toHaveLength(TimeToReadyBuckets.length + 1);
    expect(ttr.sum).toBe(42.5);
    const phases = counters.filter((c) => c.family === PromMetric.bootPhaseSeconds);
    expect(phases.map((c) => labelRecord(c).phase).sort()).toEqual(
      ['cloud_init_init', 'kernel', 'probe_wait', 'provisioning'].sort(),
    );
    const [rollup] = await store.rollups(AllTime);
    expect(rollup?.asg).toBe('');
  });

  it('moves the rollup contribution when a boot is corrected, and retracts its old count', async () => {
    const store = await harness().open();
    await store.upsertBoot(
      bootReport({ outcome: 'failure', reason: 'probe_timeout', timeToReadySeconds: 600 }),
      T0,
    );
    const fixed = await store.upsertBoot(bootReport({ timeToReadySeconds: 95 }), T0 + 1000);
    expect(fixed.status).toBe('updated');
    const retracted = fixed.counters.filter((c) => c.family === PromMetric.bootsRetractedTotal);
    expect(retracted).toHaveLength(1);
    expect(labelRecord(retracted[0]!)).toMatchObject({
      outcome: 'failure',
      reason: 'probe_timeout',
    });
    const counted = fixed.counters.filter((c) => c.family === PromMetric.bootsTotal);
    expect(labelRecord(counted[0]!)).toMatchObject({ outcome: 'success', reason: 'none' });

    const rollups = await store.rollups(AllTime);
    expect(rollups).toHaveLength(1);
    expect(rollups[0]).toMatchObject({
      outcome: 'success',
      count: 1,
      ttrSum: 95,
      minuteMs: T0 + MinuteMs,
    });
    expect(rollups[0]?.ttrBuckets[TimeToReadyBuckets.indexOf(120)]).toBe(1);
    expect(rollups[0]?.ttrBuckets.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('stores a change that counts nothing (a detail) as updated, with no counter moved', async () => {
    const store = await harness().open();
    await store.upsertBoot(bootReport(), T0);
    const before = await store.loadCounters();
    const result = await store.upsertBoot(bootReport({ availabilityZone: 'us-east-1b' }), T0);
    expect(result.status).toBe('updated');
    expect(result.counters).toEqual([]);
    expect(await store.loadCounters()).toEqual(before);
    expect((await store.rollups(AllTime)).map((r) => r.count)).toEqual([1]);
  });

  it('stores reboots without rolling them up or counting them', async () => {
    const store = await harness().open();
    await store.upsertBoot(bootReport(), T0);
    const reboot = await store.upsertBoot(
      bootReport({
        bootId: 'second-boot',
        firstBoot: false,
        launchedAt: '2025-03-02T08:00:00.000Z',
      }),
      T0 + 86_400_000,
    );
    expect(reboot.status).toBe('inserted');
    expect(reboot.counters).toEqual([]);
    expect(await store.getBoots(bootReport().instanceId)).toHaveLength(2);
    expect((await store.rollups(AllTime)).map((r) => r.count)).toEqual([1]);
  });

  it('learns AMI versions from agents, but the registry wins and unknown is never learned', async () => {
    const store = await harness().open();
    await store.upsertImage({
      amiId: 'ami-registered',
      region: 'us-east-1',
      name: 'web',
      version: '2.0.0',
      build: { git_sha: 'abc123' },
      source: 'registry',
      registeredAtMs: T0 - 1000,
    });
    await store.upsertBoot(bootReport({ amiId: 'ami-registered', amiVersion: '9.9.9' }), T0);
    await store.upsertBoot(bootReport({ instanceId: 'i-2', amiId: 'ami-learned' }), T0);
    await store.upsertBoot(
      bootReport({ instanceId: 'i-3', amiId: 'ami-nameless', amiVersion: 'unknown' }),
      T0,
    );
    expect(await store.getImage('ami-registered')).toMatchObject({
      version: '2.0.0',
      source: 'registry',
      build: { git_sha: 'abc123' },
    });
    expect(await store.getImage('ami-learned')).toMatchObject({
      version: '1.4.0',
      source: 'agent',
      name: 'web-al2023',
    });
    expect(await store.getImage('ami-nameless')).toBeNull();

    // A registry record replaces what agents said; an agent record never replaces the registry's.
    await store.upsertImage({
      amiId: 'ami-learned',
      region: null,
      name: null,
      version: '1.4.1',
      build: {},
      source: 'registry',
      registeredAtMs: T0,
    });
    await store.upsertImage({
      amiId: 'ami-registered',
      region: null,
      name: null,
      version: '0.0.1',
      build: {},
      source: 'agent',
      registeredAtMs: T0,
    });
    expect((await store.listImages()).map((i) => [i.amiId, i.version, i.source])).toEqual([
      ['ami-learned', '1.4.1', 'registry'],
      ['ami-registered', '2.0.0', 'registry'],
    ]);
  });

  it('stores nothing of a boot write that fails half-way', async () => {
    const store = await harness().open();
    await store.recordEvents([instanceEvent()], T0);
    const [decided] = await store.sweep(T0 + 900_000, 900_000);
    expect(decided?.boot.reason).toBe('no_report');
    const rollups = await store.rollups(AllTime);
    const counters = await store.loadCounters();

    // The late report replaces the no_report: the collector boot is deleted and the rollup moved
    // before the boot row itself, whose CHECK (time to ready >= 0) then fails.
    const bad = bootReport({ timeToReadySeconds: -5 });
    const error = await store.upsertBoot(bad, T0 + 1_000_000).catch((e: unknown) => e);
    expect(isBootwatchError(error, 'BW_STORE_WRITE')).toBe(true);

    expect(await store.getBoots(bad.instanceId)).toEqual([decided?.boot]);
    expect(await store.rollups(AllTime)).toEqual(rollups);
    expect(await store.loadCounters()).toEqual(counters);
    expect((await store.getLaunch(bad.instanceId))?.reported).toBe(false);
    expect(await store.getImage(bad.amiId)).toBeNull();
  });
});
