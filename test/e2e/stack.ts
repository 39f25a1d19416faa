// The monitoring stack of the end-to-end tests, on 127.0.0.1: a real collector (SQLite in a
// temporary folder), Debian's prometheus scraping it every second and evaluating the generated
// rules (the time-scaled variant: 1/60, so the 1h/5m page reads 1m/5s windows), and Debian's
// alertmanager routing with alerts/alertmanager.yml (timings shortened, receivers pointed at a
// test webhook).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DefaultLinks, generateRules } from '../../alerts/generate-rules.js';
import { buildCollectorConfig } from '../../collector/config.js';
import { runCollector, type RunningCollector } from '../../collector/run-collector.js';
import type { Slo } from '../../shared/slo/model.js';
import { required, tool } from '../alerts/tools.js';
import { waitForQuery } from './prometheus-api.js';
import { startProcess, type RunningProcess } from './process.js';

export const TimeScale = 1 / 60;

export const prometheusTool = tool(['prometheus'], 'prometheus');
export const alertmanagerTool = tool(
  ['prometheus-alertmanager', 'alertmanager'],
  'prometheus-alertmanager',
);

interface AmRoute {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: AmRoute[];
}

/** alerts/alertmanager.yml with the webhook's receivers and second-scale timings. */
export function alertmanagerConfig(webhookUrl: string): string {
  const config = parse(
    readFileSync(new URL('../../alerts/alertmanager.yml', import.meta.url), 'utf8'),
  ) as {
    route: AmRoute;
    receivers: { webhook_configs?: { url: string }[] }[];
  };
  const shorten = (r: AmRoute) => {
    if (r.group_wait) r.group_wait = '1s';
    if (r.group_interval) r.group_interval = '2s';
    if (r.repeat_interval) r.repeat_interval = '1h';
    r.routes?.forEach(shorten);
  };
  shorten(config.route);
  for (const receiver of config.receivers) {
    for (const w of receiver.webhook_configs ?? [])
      w.url = `${webhookUrl}${new URL(w.url).pathname}`;
  }
  return stringify(config);
}

/** A collector for the tests: anonymous, silent, its store in `work`. */
export function startTestCollector(work: string): Promise<RunningCollector> {
  return runCollector(
    buildCollectorConfig({
      file: {
        listen: '127.0.0.1:0',
        store: join(work, 'bootwatch.db'),
        allow_anonymous: true,
        log_level: 'silent',
      },
      filePath: 'e2e',
      hostname: 'e2e',
    }),
    { handleSignals: false },
  );
}

export function startAlertmanager(work: string, webhookUrl: string): Promise<RunningProcess> {
  writeFileSync(join(work, 'alertmanager.yml'), alertmanagerConfig(webhookUrl));
  return startProcess(
    'alertmanager',
    required(alertmanagerTool, 'alertmanager', 'prometheus-alertmanager'),
    [
      `--config.file=${join(work, 'alertmanager.yml')}`,
      `--storage.path=${join(work, 'alertmanager')}`,
      '--web.listen-address=127.0.0.1:0',
      '--cluster.listen-address=',
    ],
  );
}

/**
 * A Prometheus named `name` (its files in `work/name`) scraping the collector every second and
 * evaluating the scaled rules every second, sending to the Alertmanager when one is given.
 * Resolves once it has scraped the collector.
 */
export async function startPrometheus(
  work: string,
  name: string,
  slos: readonly Slo[],
  collectorUrl: string,
  alertmanagerUrl: string | null,
): Promise<RunningProcess> {
  const rules = join(work, `${name}-rules.yml`);
  writeFileSync(rules, generateRules(slos, { links: DefaultLinks, timeScale: TimeScale }));
  const config = join(work, `${name}.yml`);
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [rules],
      ...(alertmanagerUrl
        ? {
            alerting: {
              alertmanagers: [{ static_configs: [{ targets: [new URL(alertmanagerUrl).host] }] }],
            },
          }
        : {}),
      scrape_configs: [
        { job_name: 'bootwatch', static_configs: [{ targets: [new URL(collectorUrl).host] }] },
      ],
    }),
  );
  const prom = await startProcess(name, required(prometheusTool, 'prometheus', 'prometheus'), [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(work, name)}`,
    '--web.listen-address=127.0.0.1:0',
    '--rules.alert.resend-delay=1s',
  ]);
  try {
    await waitForQuery(prom.url, 'up{job="bootwatch"} == 1', 20_000);
  } catch (e) {
    await prom.stop();
    throw e;
  }
  return prom;
}
