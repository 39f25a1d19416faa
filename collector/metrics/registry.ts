// /metrics: a prom-client Registry of the collector's own (never the global one, so that two
// collectors in one process, as in tests, do not share series). Counters and histograms come from
// CounterSeries; the coverage gauges ask the store at scrape time; plus Node's process metrics.
// A Prometheus scrape is rendered with the counters as that scrape may see them (held first
// increments left out: counter-series.ts); the scrape's number reaches the metrics' get() through
// an AsyncLocalStorage, since prom-client calls get() with no argument, and two scrapes (an HA
// pair) may render at once.
import { AsyncLocalStorage } from 'node:async_hooks';
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { PromMetric } from '../../shared/conventions.js';
import type { CounterDelta } from '../store/store.js';
import { CounterSeries } from './counter-series.js';
import { Families, type Family } from './families.js';

const LintFailingDefaults = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface Coverage {
  running: number;
  heartbeating: number;
}

export interface CollectorMetrics {
  readonly registry: Registry;
  readonly series: CounterSeries;
  /** Applies the counter increments of a committed write. */
  apply(deltas: readonly CounterDelta[]): void;
  /** Counts OTLP data points a partial success rejected. */
  countRejected(dataPoints: number): void;
  /**
   * The exposition text. `scraper`: the Prometheus scraping (scrapers.ts, scraperOf), or null for
   * any other reader, which is shown every increment at once.
   */
  render(scraper: string | null, nowMs: number): Promise<string>;
}

export interface MetricsOptions {
  /** Distinct ami_version and ami_id values on /metrics. */
  labelCap: number;
  /** Distinct region, asg and instance_type values, each (default: labelCap). */
  groupLabelCap?: number;
  /** Read at scrape time; a failure keeps the last values (and is reported through onError). */
  coverage: () => Promise<Coverage>;
  onError?: (e: unknown) => void;
  /** Node process metrics (off in unit tests that compare the whole output). */
  processMetrics?: boolean;
}

export function buildCollectorMetrics(options: MetricsOptions): CollectorMetrics {
  const registry = new Registry();
  const series = new CounterSeries({
    versions: options.labelCap,
    groups: options.groupLabelCap ?? options.labelCap,
  });

  // Every family is registered up front so that HELP/TYPE are there before the first boot.
  const scrapes = new AsyncLocalStorage<number>();
  for (const family of Families) registry.registerMetric(persistedMetric(family, series, scrapes));
  const apply = (deltas: readonly CounterDelta[]) => series.apply(deltas);
  const render = async (scraper: string | null, nowMs: number): Promise<string> => {
    if (scraper === null) return registry.metrics();
    const scrape = series.beginScrape(scraper, nowMs);
    const text = await scrapes.run(scrape, () => registry.metrics());
    series.scraped(scraper, scrape);
    return text;
  };

  let last: Coverage = { running: 0, heartbeating: 0 };
  let pending: Promise<Coverage> | null = null;
  // Both gauges are read in one scrape: share one store query between them.
  const readCoverage = (): Promise<Coverage> => {
    pending ??= options
      .coverage()
      .then((c) => (last = c))
      .catch((e: unknown) => {
        options.onError?.(e);
        return last;
      })
      .finally(() => {
        pending = null;
      });
    return pending;
  };
  new Gauge({
    name: PromMetric.agentsReporting,
    help: 'Running instances whose agent sent a heartbeat within the heartbeat window (coverage numerator).',
    registers: [registry],
    async collect() {
      this.set((await readCoverage()).heartbeating);
    },
  });
  new Gauge({
    name: PromMetric.instancesRunning,
    help: 'Instances launched and not terminated, as learned from EC2 and Auto Scaling events (coverage denominator).',
    registers: [registry],
    async collect() {
      this.set((await readCoverage()).running);
    },
  });
  const rejected = new Counter({
    name: PromMetric.rejectedDataPoints,
    help: 'OTLP data points rejected by a partial success (boots that break the report contract, invalid heartbeats); the collector log has the reasons.',
    registers: [registry],
  });
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters, which `promtool check metrics` rejects; their unsuffixed
    // siblings (nodejs_active_handles{type=...}) carry the same numbers by type.
    for (const name of LintFailingDefaults) registry.removeSingleMetric(name);
  }
  return { registry, series, apply, render, countRejected: (n) => rejected.inc(n) };
}

/**
 * A metric whose values are set from persisted counts. prom-client's Counter and Histogram can
 * only be moved by inc()/observe(), not set to a stored bucket count; the Registry only needs
 * name, help, type, aggregator and get(), so this object is registered in their place.
 */
function persistedMetric(
  family: Family,
  series: CounterSeries,
  scrapes: AsyncLocalStorage<number>,
): Metric {
  const metric = {
    name: family.name,
    help: family.help,
    type: family.type,
    aggregator: 'sum' as const,
    get: async () => ({
      name: family.name,
      help: family.help,
      type: family.type,
      aggregator: 'sum' as const,
      values: series.exported(family, scrapes.getStore()),
    }),
    // Registry.resetMetrics() calls reset(); persisted counts are not the registry's to reset.
    reset: () => undefined,
  };
  return metric as unknown as Metric;
}
