// The first boot of every new label combination reaches the rules (issue 15, item 2). Two
// Prometheus servers (an HA pair, both on this host) scrape one collector every second. A new AMI
// version boots three times, each boot a label combination never seen before (three Auto Scaling
// groups, one boot failing): the recorded increases of both servers count 3 boots and 1 error,
// as many as booted (within increase()'s extrapolation), not 0, which is what they counted when a
// new series appeared already at 1. Each new series' first sample is 0; the boot shows in the
// scrapes right after (the cost: about one scrape interval, measured here).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../../collector/run-collector.js';
import { loadSlos } from '../../shared/slo/load.js';
import { bootOnce, type FleetSpec } from './fleet.js';
import { instantQuery } from './prometheus-api.js';
import type { RunningProcess } from './process.js';
import { prometheusTool, startPrometheus, startTestCollector } from './stack.js';

const Version = '2026.12.0';

const combination = (asg: string, over: Partial<FleetSpec> = {}): FleetSpec => ({
  amiVersion: Version,
  amiId: 'ami-0a1b2c3d4e5f60120',
  asg,
  region: 'eu-west-1',
  firstInstance: 0x300000 + asg.length * 16,
  outcome: 'success',
  reason: 'none',
  timeToReady: () => 45,
  ...over,
});

/** Booted once each: three series of bootwatch_boots_total that did not exist. */
const Boots: FleetSpec[] = [
  combination('web-a'),
  combination('web-bb', { timeToReady: () => 60 }),
  combination('web-ccc', {
    outcome: 'failure',
    reason: 'cloud_init_error',
    timeToReady: () => 150,
  }),
];

interface Sampled {
  metric: Record<string, string>;
  values: [number, string][];
}

async function value(promUrl: string, expr: string): Promise<number | null> {
  const answer = await instantQuery(promUrl, expr);
  const [first] = (answer.data?.result ?? []) as { value: [number, string] }[];
  return first ? Number(first.value[1]) : null;
}

async function samples(promUrl: string, expr: string): Promise<Sampled[]> {
  const answer = await instantQuery(promUrl, expr);
  return (answer.data?.result ?? []) as Sampled[];
}

describe.skipIf(prometheusTool.skip)('first samples end to end', () => {
  const work = mkdtempSync(join(tmpdir(), 'bw-e2e-first-'));
  let collector: RunningCollector | undefined;
  const proms: RunningProcess[] = [];

  afterAll(async () => {
    await Promise.all(proms.map((p) => p.stop()));
    await collector?.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it(
    'counts every boot of new label combinations, in both servers of an HA pair',
    { timeout: 90_000 },
    async () => {
      const slos = loadSlos();
      collector = await startTestCollector(work);
      const url = collector.url;
      for (const name of ['prometheus-a', 'prometheus-b'])
        proms.push(await startPrometheus(work, name, slos, url, null));
      // A few scrapes each: both are known scrapers, with their interval, before the boots.
      await new Promise((r) => setTimeout(r, 3_000));

      const bootedAtMs: number[] = [];
      for (const [i, spec] of Boots.entries()) {
        await bootOnce(url, spec, i);
        bootedAtMs.push(Date.now());
      }
      await new Promise((r) => setTimeout(r, 15_000));

      for (const prom of proms) {
        const at = `slo="boot-success", ami_version="${Version}"`;
        const events = await value(prom.url, `slo:bootwatch_events:increase6h{${at}}`);
        const errors = await value(prom.url, `slo:bootwatch_errors:increase6h{${at}}`);
        const slow = await value(
          prom.url,
          `slo:bootwatch_errors:increase6h{slo="time-to-ready", ami_version="${Version}"}`,
        );
        // increase() extrapolates to the end of the window by at most ~1.1 scrape intervals over
        // the ~14 s sampled since the first sample (0): a few percent, never less than counted.
        const near = (x: number | null, n: number) => {
          expect(x).not.toBeNull();
          expect(x!).toBeGreaterThanOrEqual(n - 1e-9);
          expect(x!).toBeLessThanOrEqual(n * 1.1);
        };
        near(events, 3);
        near(errors, 1);
        near(slow, 1);

        // Each new series: first sampled at 0, then at 1 right after.
        const series = await samples(
          prom.url,
          `bootwatch_boots_total{ami_version="${Version}"}[1m]`,
        );
        expect(series.map((s) => s.metric.asg).sort()).toEqual(['web-a', 'web-bb', 'web-ccc']);
        const delays: number[] = [];
        for (const s of series) {
          expect(s.values[0]?.[1]).toBe('0');
          const firstCounted = s.values.find(([, v]) => v === '1');
          expect(firstCounted).toBeDefined();
          const booted = bootedAtMs[Boots.findIndex((b) => b.asg === s.metric.asg)]!;
          delays.push(firstCounted![0] * 1000 - booted);
        }
        console.log(
          `${prom.name}: boot acknowledged -> first sample counting it: ` +
            `${delays.map((d) => `${(d / 1000).toFixed(2)} s`).join(', ')} (scrape interval 1 s)`,
        );
        // One interval for this server to sample 0, one for its partner, and room for a loaded
        // machine (the figure printed above is the measure).
        for (const d of delays) expect(d).toBeLessThan(5_000);
      }
    },
  );
});
