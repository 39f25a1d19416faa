// Series read from the store at scrape time (the image scan gauges, the rollout series): one read
// per scrape, shared by every series it feeds, so that a scrape costs one round of queries
// however many series there are. A store error keeps the last values: a scrape never fails
// because the store was slow, and onError hears of the first error of a streak only (a scrape
// every 15 s would repeat it all day).
import type { Metric, MetricValue, Registry } from 'prom-client';

export type Sample = MetricValue<string>;

export interface StoreSeries {
  help: string;
  type: 'counter' | 'gauge';
}

/**
 * Registers `series` (by metric name) on `registry`; each scrape calls `read` once and takes
 * each series' samples from its result, by name. `initial`: what is shown before the first read
 * succeeds.
 */
export function registerStoreSeries(
  registry: Registry,
  series: Readonly<Record<string, StoreSeries>>,
  read: () => Promise<Record<string, Sample[]>>,
  initial: Record<string, Sample[]>,
  onError: (e: unknown) => void,
): void {
  let last = initial;
  let pending: Promise<Record<string, Sample[]>> | null = null;
  let failing = false;
  const shared = () => {
    pending ??= read()
      .then((samples) => {
        failing = false;
        last = samples;
        return last;
      })
      .catch((e: unknown) => {
        if (!failing) onError(e);
        failing = true;
        return last;
      })
      .finally(() => {
        pending = null;
      });
    return pending;
  };
  for (const [name, { help, type }] of Object.entries(series)) {
    const get = async () => ({
      name,
      help,
      type,
      aggregator: 'omit' as const,
      values: (await shared())[name] ?? [],
    });
    const metric = { name, help, type, aggregator: 'omit' as const, get, reset: () => undefined };
    registry.registerMetric(metric as unknown as Metric);
  }
}
