import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CounterSeries } from '../../collector/metrics/counter-series.js';
import { Families } from '../../collector/metrics/families.js';
import { LabelFolder } from '../../collector/metrics/label-folder.js';
import { buildCollectorMetrics } from '../../collector/metrics/registry.js';
import type { StoredBoot } from '../../collector/model.js';
import { CounterFamilies } from '../../collector/store/counter-families.js';
import {
  bootCounters,
  increment,
  mergeCounterDeltas,
  observation,
  retractionCounters,
} from '../../collector/store/counter-deltas.js';
import type { CounterDelta } from '../../collector/store/store.js';
import { PromMetric, TimeToReadyBuckets } from '../../shared/conventions.js';

const family = (name: string) => Families.find((f) => f.name === name)!;

function boot(over: Partial<StoredBoot> = {}): StoredBoot {
  return {
    instanceId: 'i-0123456789abcdef0',
    bootId: 'b1',
    firstBoot: true,
    launchedAt: '2024-05-01T10:00:00Z',
    amiId: 'ami-0123456789abcdef0',
    amiVersion: '1.0.0',
    region: 'eu-west-1',
    instanceType: 't3.micro',
    asg: 'web',
    outcome: 'success',
    reason: 'none',
    timeToReadySeconds: 42,
    phases: { provisioning: 12, kernel: 1.5, cloud_init_init: 20 },
    source: 'agent',
    receivedAtMs: 0,
    outcomeAtMs: 0,
    ...over,
  };
}

const bootsTotal = (deltas: CounterDelta[]) =>
  deltas.filter((d) => d.family === PromMetric.bootsTotal);

/** A launch under version `v` (the other labels fixed). */
const launch = (v: string, n: number) =>
  increment(CounterFamilies.launches, ['ami-1', v, 'eu-west-1', '', 't3.micro'], n);

describe('LabelFolder', () => {
  it('keeps the most recently written values and folds the least recent into other', () => {
    const f = new LabelFolder(2);
    f.touch('v1');
    f.touch('v2');
    f.touch('v1');
    f.touch('v3');
    expect([f.fold('v1'), f.fold('v2'), f.fold('v3')]).toEqual(['v1', 'other', 'v3']);
  });

  it('never takes a folded value back out of other', () => {
    const f = new LabelFolder(2);
    ['v1', 'v2', 'v3', 'v1', 'v1'].forEach((v) => f.touch(v));
    expect(f.fold('v1')).toBe('other');
    expect(f.names()).toEqual(['v2', 'v3']);
  });

  it('folds empty and always-folded values without using a slot', () => {
    const f = new LabelFolder(1, new Set(['unknown']));
    ['', 'unknown', 'v1'].forEach((v) => f.touch(v));
    expect([f.fold(''), f.fold('unknown'), f.fold('v1')]).toEqual(['other', 'other', 'v1']);
  });

  it('seeds the most recent values first', () => {
    const f = new LabelFolder(2);
    f.seed(['v9', 'v8', 'v1', 'v9']);
    expect([f.fold('v9'), f.fold('v8'), f.fold('v1')]).toEqual(['v9', 'v8', 'other']);
    f.touch('v10'); // evicts v8, the least recent of the seeded two
    expect([f.fold('v9'), f.fold('v8'), f.fold('v10')]).toEqual(['v9', 'other', 'v10']);
  });
});

describe('CounterSeries', () => {
  it('exports cumulative, complete histogram buckets with +Inf equal to the count', () => {
    const s = new CounterSeries(10);
    s.apply(bootCounters(boot({ timeToReadySeconds: 42 })));
    s.apply(bootCounters(boot({ bootId: 'b2', timeToReadySeconds: 7 })));
    const values = s.exported(family(PromMetric.timeToReadySeconds));
    const buckets = values.filter((v) => v.metricName.endsWith('_bucket'));
    expect(buckets.map((b) => b.labels.le)).toEqual([...TimeToReadyBuckets.map(String), '+Inf']);
    const at = (le: string) => buckets.find((b) => b.labels.le === le)!.value;
    expect([at('5'), at('10'), at('30'), at('45'), at('1800'), at('+Inf')]).toEqual([
      0, 1, 1, 2, 2, 2,
    ]);
    expect(values.find((v) => v.metricName.endsWith('_sum'))!.value).toBe(49);
    expect(values.find((v) => v.metricName.endsWith('_count'))!.value).toBe(2);
  });

  it('sums the series that fold into the same labels, and folds the AMI id with its version', () => {
    const s = new CounterSeries(1);
    s.apply(bootsTotal(bootCounters(boot({ amiVersion: '1', amiId: 'ami-00000001' }))));
    s.apply(bootsTotal(bootCounters(boot({ amiVersion: '2', amiId: 'ami-00000002' }))));
    s.apply(bootsTotal(bootCounters(boot({ amiVersion: '3', amiId: 'ami-00000003' }))));
    const values = s.exported(family(PromMetric.bootsTotal));
    expect(values.map((v) => [v.labels.ami_version, v.labels.ami_id, v.value])).toEqual([
      ['other', 'other', 2],
      ['3', 'ami-00000003', 1],
    ]);
  });

  it('bounds region, asg and instance_type by their own cap, keeping an empty asg as it is', () => {
    const s = new CounterSeries({ versions: 10, groups: 2 });
    const asgs = ['web-a', 'web-b', '', 'web-c'];
    asgs.forEach((asg, i) =>
      s.apply(
        bootsTotal(
          bootCounters(
            boot({ instanceId: `i-${i}`, asg, region: `r-${i}`, instanceType: `t${i}.large` }),
          ),
        ),
      ),
    );
    const values = s.exported(family(PromMetric.bootsTotal));
    const exported = (label: string) => values.map((v) => v.labels[label]).sort();
    // web-a was the least recently written of three named groups: it folds, the empty asg does not.
    expect(exported('asg')).toEqual(['', 'other', 'web-b', 'web-c']);
    expect(exported('region')).toEqual(['other', 'other', 'r-2', 'r-3']);
    expect(exported('instance_type')).toEqual(['other', 'other', 't2.large', 't3.large']);
    expect(values.reduce((n, v) => n + v.value, 0)).toBe(4);
  });

  it('seeds every capped label from the most recent values first', () => {
    const s = new CounterSeries({ versions: 10, groups: 1 });
    const old = bootCounters(boot({ asg: 'old' }));
    const recent = bootCounters(boot({ instanceId: 'i-2', asg: 'recent' }));
    s.seed(mergeCounterDeltas(bootsTotal([...old, ...recent])), { asg: ['recent'] });
    const values = s.exported(family(PromMetric.bootsTotal));
    expect(values.map((v) => v.labels.asg).sort()).toEqual(['other', 'recent']);
  });

  it('ignores negative deltas: counters never go down', () => {
    const s = new CounterSeries(5);
    s.apply([launch('a', 2)]);
    s.apply([launch('a', -1)]);
    const ttr = CounterFamilies.timeToReady;
    const labels = ['a', 'eu-west-1', '', 'success'];
    s.apply([observation(ttr, labels, 42)]);
    s.apply([{ ...observation(ttr, labels, 42), sum: -42 }]);
    s.apply([{ ...observation(ttr, labels, 42), buckets: [-1, ...new Array<number>(16).fill(0)] }]);
    expect(s.exported(family(PromMetric.launchesTotal))[0]!.value).toBe(2);
    const values = s.exported(family(PromMetric.timeToReadySeconds));
    expect(values.find((v) => v.metricName.endsWith('_count'))!.value).toBe(1);
    expect(values.find((v) => v.metricName.endsWith('_sum'))!.value).toBe(42);
  });

  it('sums histograms of the same series, and of series that fold together', () => {
    const s = new CounterSeries(1);
    const ttr = CounterFamilies.timeToReady;
    s.apply([observation(ttr, ['1', 'r', '', 'success'], 3)]);
    s.apply([observation(ttr, ['1', 'r', '', 'success'], 50)]);
    s.apply([observation(ttr, ['2', 'r', '', 'success'], 5000)]);
    const values = s.exported(family(PromMetric.timeToReadySeconds));
    const at = (version: string, le: string) =>
      values.find((v) => v.labels.ami_version === version && v.labels.le === le)?.value;
    expect([at('other', '5'), at('other', '60'), at('other', '1800'), at('other', '+Inf')]).toEqual(
      [1, 2, 2, 2],
    );
    expect([at('2', '1800'), at('2', '+Inf')]).toEqual([0, 1]);
  });

  it('keeps every exported series monotonic and the total conserved, whatever the write order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 3 })), {
          maxLength: 60,
        }),
        (cap, writes) => {
          const s = new CounterSeries(cap);
          const seen = new Map<string, number>();
          let total = 0;
          for (const [v, delta] of writes) {
            s.apply([launch(`v${v}`, delta)]);
            total += delta;
            const values = s.exported(family(PromMetric.launchesTotal));
            const named = values.filter((x) => x.labels.ami_version !== 'other');
            expect(named.length).toBeLessThanOrEqual(cap);
            expect(values.reduce((a, x) => a + x.value, 0)).toBe(total);
            for (const x of values) {
              const key = x.labels.ami_version!;
              expect(x.value).toBeGreaterThanOrEqual(seen.get(key) ?? 0);
              seen.set(key, x.value);
            }
          }
        },
      ),
    );
  });
});

/** Runs promtool on the text; under CI a missing promtool is a failure, locally a skip. */
function promtoolCheck(text: string): { ran: boolean; status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    if (process.env.CI === 'true')
      throw new Error('promtool is not on PATH (apt-get install prometheus)');
    return { ran: false, status: null, output: '' };
  }
  return { ran: true, status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('the /metrics registry', () => {
  const writes = (): CounterDelta[][] => {
    const first = boot();
    const late = boot({ outcome: 'failure', reason: 'probe_timeout', timeToReadySeconds: 700 });
    return [
      bootCounters(first),
      retractionCounters(first),
      bootCounters(late),
      bootCounters(boot({ instanceId: 'i-2', amiVersion: 'unknown' })),
      // A launch seen in events whose AMI is not known yet (labels as the store makes them).
      [increment(CounterFamilies.launches, ['', 'unknown', 'eu-west-1', '', ''], 1)],
    ];
  };

  it('passes promtool check metrics, with help texts and the process metrics', async () => {
    const m = buildCollectorMetrics({
      labelCap: 50,
      coverage: async () => ({ running: 10, heartbeating: 9 }),
    });
    writes().forEach((w) => m.apply(w));
    const text = await m.registry.metrics();
    for (const name of Object.values(PromMetric).slice(0, 7)) {
      expect(text).toContain(`# HELP ${name} `);
    }
    expect(text).toContain('bootwatch_instances_running 10');
    expect(text).toContain('bootwatch_agents_reporting 9');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/bootwatch_launches_total\{ami_id="other",ami_version="other"/);
    const check = promtoolCheck(text);
    if (check.ran) expect(check.output).toBe('');
    if (check.ran) expect(check.status).toBe(0);
  });

  it('rebuilt from persisted values, exports what the process before it exported', async () => {
    const coverage = async () => ({ running: 0, heartbeating: 0 });
    const before = buildCollectorMetrics({ labelCap: 50, coverage, processMetrics: false });
    const persisted: CounterDelta[] = [];
    for (const w of writes()) {
      before.apply(w);
      persisted.push(...w);
    }
    const after = buildCollectorMetrics({ labelCap: 50, coverage, processMetrics: false });
    // As loadCounters returns them: one total per series, sorted by family and labels.
    after.series.seed(mergeCounterDeltas(persisted), {});
    const lines = async (m: typeof before) => (await m.registry.metrics()).split('\n').sort();
    expect(await lines(after)).toEqual(await lines(before));
  });

  it('keeps the last coverage values when the store does not answer', async () => {
    let fail = false;
    const errors: unknown[] = [];
    const m = buildCollectorMetrics({
      labelCap: 5,
      processMetrics: false,
      coverage: async () => {
        if (fail) throw new Error('store down');
        return { running: 4, heartbeating: 3 };
      },
      onError: (e) => errors.push(e),
    });
    await m.registry.metrics();
    fail = true;
    const text = await m.registry.metrics();
    expect(text).toContain('bootwatch_instances_running 4');
    expect(text).toContain('bootwatch_agents_reporting 3');
    expect(errors).toHaveLength(1);
  });
});
