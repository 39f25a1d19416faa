import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CounterSeries } from '../../collector/metrics/counter-series.js';
import { Families } from '../../collector/metrics/families.js';
import { LabelFolder } from '../../collector/metrics/label-folder.js';
import { buildCollectorMetrics } from '../../collector/metrics/registry.js';
import { scraperOf } from '../../collector/metrics/scrapers.js';
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

  it('renders a Prometheus scrape without the held first boot, any other reader with it', async () => {
    const coverage = async () => ({ running: 0, heartbeating: 0 });
    const m = buildCollectorMetrics({ labelCap: 50, coverage, processMetrics: false });
    await m.render('127.0.0.1 40100', 0);
    m.apply(bootCounters(boot()));
    const line = /^bootwatch_boots_total\{[^}]*ami_version="1\.0\.0"[^}]*\} (\d+)$/m;
    const [scraped, read] = await Promise.all([
      m.render('127.0.0.1 40100', 15_000),
      m.render(null, 15_000),
    ]);
    expect(line.exec(scraped)?.[1]).toBe('0');
    expect(line.exec(read)?.[1]).toBe('1');
    expect(line.exec(await m.render('127.0.0.1 40100', 30_000))?.[1]).toBe('1');
  });

  it('tells a Prometheus scrape by its timeout header, and scrapers by their connection', () => {
    const prometheus = { 'x-prometheus-scrape-timeout-seconds': '10' };
    const a = { remoteAddress: '10.0.0.1', remotePort: 40100 };
    expect(scraperOf(prometheus, a)).toBe('10.0.0.1 40100');
    expect(scraperOf(prometheus, { ...a, remotePort: 40102 })).not.toBe(scraperOf(prometheus, a));
    expect(scraperOf({ 'user-agent': 'curl/8.5.0' }, a)).toBeNull();
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

/** What `scraper` is shown of one family in a scrape at `nowMs`: labels -> value. */
function scrape(
  s: CounterSeries,
  scraper: string,
  nowMs: number,
  name: string = PromMetric.bootsTotal,
): Map<string, number> {
  const n = s.beginScrape(scraper, nowMs);
  const values = s.exported(family(name), n);
  s.scraped(scraper, n);
  return new Map(values.map((v) => [seriesName(v.metricName, v.labels), v.value]));
}

/** `name{ami_version,outcome[,le]}`: enough to tell this file's series apart. */
function seriesName(metric: string, labels: Record<string, string>): string {
  const le = labels.le === undefined ? '' : `,${labels.le}`;
  return `${metric}{${labels.ami_version},${labels.outcome ?? ''}${le}}`;
}

const total = (version: string, outcome = 'success') =>
  seriesName(PromMetric.bootsTotal, { ami_version: version, outcome });

const Interval = 15_000;

describe('first samples: a new series is shown to Prometheus at 0 before it counts', () => {
  const oneBoot = (over: Partial<StoredBoot> = {}) => bootsTotal(bootCounters(boot(over)));

  it('shows the first boot of a new series one scrape later; later boots at once', () => {
    const s = new CounterSeries(10);
    scrape(s, 'A', 0);
    s.apply(oneBoot({ amiVersion: '1.4' }));
    expect(scrape(s, 'A', Interval).get(total('1.4'))).toBe(0);
    expect(scrape(s, 'A', 2 * Interval).get(total('1.4'))).toBe(1);
    s.apply(oneBoot({ amiVersion: '1.4', bootId: 'b2' }));
    expect(scrape(s, 'A', 3 * Interval).get(total('1.4'))).toBe(2);
  });

  it('shows readers that are not Prometheus every boot at once', () => {
    const s = new CounterSeries(10);
    scrape(s, 'A', 0);
    s.apply(oneBoot({ amiVersion: '1.4' }));
    const values = s.exported(family(PromMetric.bootsTotal));
    expect(values.map((v) => [v.labels.ami_version, v.value])).toEqual([['1.4', 1]]);
    expect(scrape(s, 'A', Interval).get(total('1.4'))).toBe(0);
  });

  it('holds a new series until both servers of an HA pair have been shown it', () => {
    const s = new CounterSeries(10);
    scrape(s, 'A', 0);
    scrape(s, 'B', 5_000);
    s.apply(oneBoot({ amiVersion: '1.4' }));
    expect(scrape(s, 'A', Interval).get(total('1.4'))).toBe(0);
    expect(scrape(s, 'B', 5_000 + Interval).get(total('1.4'))).toBe(0);
    expect(scrape(s, 'A', 2 * Interval).get(total('1.4'))).toBe(1);
    expect(scrape(s, 'B', 5_000 + 2 * Interval).get(total('1.4'))).toBe(1);
  });

  it('stops waiting for a scraper that missed three of its intervals', () => {
    const s = new CounterSeries(10);
    for (const at of [0, Interval]) {
      scrape(s, 'A', at);
      scrape(s, 'B', at);
    }
    s.apply(oneBoot({ amiVersion: '1.4' }));
    // B is gone: its last scrape was at 15 s, with a 15 s interval it is given until 60 s.
    expect(scrape(s, 'A', 2 * Interval).get(total('1.4'))).toBe(0);
    expect(scrape(s, 'A', 4 * Interval).get(total('1.4'))).toBe(0);
    expect(scrape(s, 'A', 5 * Interval).get(total('1.4'))).toBe(1);
  });

  it('counts a scrape that failed as not shown', () => {
    const s = new CounterSeries(10);
    scrape(s, 'A', 0);
    s.apply(oneBoot({ amiVersion: '1.4' }));
    s.beginScrape('A', Interval); // rendered, never answered
    expect(scrape(s, 'A', 2 * Interval).get(total('1.4'))).toBe(0);
    expect(scrape(s, 'A', 3 * Interval).get(total('1.4'))).toBe(1);
  });

  it('does not hold series seeded from the store: after a restart they are not new', () => {
    const s = new CounterSeries(10);
    const stored = mergeCounterDeltas([...oneBoot(), ...oneBoot({ bootId: 'b2' })]);
    s.seed(stored, {});
    expect(scrape(s, 'A', 0).get(total('1.0.0'))).toBe(2);
    s.apply(oneBoot({ bootId: 'b3' }));
    expect(scrape(s, 'A', Interval).get(total('1.0.0'))).toBe(3);
  });

  it('holds a new failure series of a known version, histogram buckets included', () => {
    const s = new CounterSeries(10);
    s.apply(bootCounters(boot({ amiVersion: '1.4' })));
    const ttr = PromMetric.timeToReadySeconds;
    scrape(s, 'A', 0, ttr);
    scrape(s, 'A', Interval, ttr);
    s.apply(bootCounters(boot({ amiVersion: '1.4', bootId: 'b2', outcome: 'failure' })));
    const bucket = (v: Map<string, number>, le: string, outcome: string) =>
      v.get(seriesName(`${ttr}_bucket`, { ami_version: '1.4', outcome, le }));
    const first = scrape(s, 'A', 2 * Interval, ttr);
    expect([bucket(first, '45', 'failure'), bucket(first, '+Inf', 'failure')]).toEqual([0, 0]);
    expect(first.get(seriesName(`${ttr}_count`, { ami_version: '1.4', outcome: 'failure' }))).toBe(
      0,
    );
    const next = scrape(s, 'A', 3 * Interval, ttr);
    expect([bucket(next, '45', 'failure'), bucket(next, '+Inf', 'failure')]).toEqual([1, 1]);
    expect(bucket(next, '+Inf', 'success')).toBe(1);
  });

  it('judges the series after folding: a new `other` is new, a known one is not', () => {
    const s = new CounterSeries(1);
    s.apply(oneBoot({ amiVersion: '1.4' }));
    scrape(s, 'A', 0);
    s.apply(oneBoot({ amiVersion: 'unknown', bootId: 'u1' }));
    expect(scrape(s, 'A', Interval).get(total('other'))).toBe(0);
    expect(scrape(s, 'A', 2 * Interval).get(total('other'))).toBe(1);
    // 1.5 takes 1.4's place: 1.4's boot, counted under its own name, moves into `other` as it
    // is; 1.5 is new.
    s.apply(oneBoot({ amiVersion: '1.5', bootId: 'b5' }));
    const moved = scrape(s, 'A', 3 * Interval);
    expect([moved.get(total('other')), moved.get(total('1.5'))]).toEqual([2, 0]);
    s.apply(oneBoot({ amiVersion: 'unknown', bootId: 'u2' }));
    const next = scrape(s, 'A', 4 * Interval);
    expect([next.get(total('other')), next.get(total('1.5'))]).toEqual([3, 1]);
  });

  it('loses no boot to increase(), whatever the order of boots and scrapes of two servers', () => {
    const version = fc.constantFrom('v0', 'v1', 'v2', 'v3', 'unknown');
    const op = fc.oneof(
      fc.record({ version, failed: fc.boolean() }),
      fc.record({ scraper: fc.constantFrom('A', 'B') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const s = new CounterSeries(10);
        const seen = { A: new Map<string, number[]>(), B: new Map<string, number[]>() };
        // Both scrape at one instant: neither misses an interval, neither is forgotten.
        const look = (scraper: 'A' | 'B') => {
          for (const [name, value] of scrape(s, scraper, 0)) {
            const values = seen[scraper].get(name) ?? [];
            seen[scraper].set(name, [...values, value]);
          }
        };
        look('A');
        look('B');
        let booted = 0;
        for (const o of ops) {
          if ('scraper' in o) look(o.scraper);
          else {
            booted += 1;
            const outcome = o.failed ? 'failure' : 'success';
            s.apply(oneBoot({ amiVersion: o.version, bootId: `b${booted}`, outcome }));
          }
        }
        for (const scraper of ['A', 'B', 'A', 'B'] as const) look(scraper);
        // What increase() over all of it counts: each series' last sample minus its first.
        for (const scraper of ['A', 'B'] as const) {
          let counted = 0;
          for (const values of seen[scraper].values()) {
            values.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(values[i - 1] ?? 0));
            counted += (values.at(-1) ?? 0) - (values[0] ?? 0);
          }
          expect(counted).toBe(booted);
        }
      }),
    );
  });
});
