// Alerts and dashboards end to end, on 127.0.0.1 with the real components: Debian's prometheus
// scrapes a real collector (SQLite in a temporary folder) every second and evaluates the generated
// rules (the time-scaled variant: 1/60, so the 1h/5m page reads 1m/5s windows); Debian's
// alertmanager routes with alerts/alertmanager.yml (timings shortened, receivers pointed at this
// test's webhook). Instances boot through the agent's OTLP code. A good AMI boots, then a bad one
// rolls out: the page reaches the pager with the right labels and resolves once the bad AMI
// stops; the ticket stays inhibited meanwhile; every dashboard query answers through the HTTP API.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DefaultLinks, generateRules } from '../../alerts/generate-rules.js';
import { buildCollectorConfig } from '../../collector/config.js';
import { runCollector, type RunningCollector } from '../../collector/run-collector.js';
import { buildDashboards } from '../../dashboards/generate-dashboards.js';
import { panelQueries, variableQueries } from '../../dashboards/panel-queries.js';
import { loadSlos } from '../../shared/slo/load.js';
import { required, tool } from '../alerts/tools.js';
import { startBooting, type Booting, type FleetSpec } from './fleet.js';
import { unansweredQueries } from './dashboard-queries.js';
import { waitForQuery } from './prometheus-api.js';
import { startProcess, type RunningProcess } from './process.js';
import { startWebhook, type Received, type Webhook } from './webhook.js';

const TimeScale = 1 / 60;
const Good = '2026.11.1';
const Bad = '2026.11.2';

const prometheus = tool(['prometheus'], 'prometheus');
const alertmanager = tool(['prometheus-alertmanager', 'alertmanager'], 'prometheus-alertmanager');

const fleet = (over: Partial<FleetSpec>): FleetSpec => ({
  amiVersion: Good,
  amiId: 'ami-0a1b2c3d4e5f60001',
  asg: 'web',
  region: 'eu-west-1',
  firstInstance: 0x100000,
  outcome: 'success',
  reason: 'none',
  timeToReady: (seq) => 45 + (seq % 10) * 5,
  ...over,
});

interface AmRoute {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: AmRoute[];
}

/** alerts/alertmanager.yml with this test's receivers and second-scale timings. */
function alertmanagerConfig(webhookUrl: string): string {
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

function prometheusConfig(collectorUrl: string, alertmanagerUrl: string): string {
  return stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: ['bootwatch-rules.yml'],
    alerting: {
      alertmanagers: [{ static_configs: [{ targets: [new URL(alertmanagerUrl).host] }] }],
    },
    scrape_configs: [
      { job_name: 'bootwatch', static_configs: [{ targets: [new URL(collectorUrl).host] }] },
    ],
  });
}

const isPage = (status: 'firing' | 'resolved', version: string) => (n: Received) =>
  n.path === '/bootwatch/page' &&
  n.status === status &&
  n.groupLabels.slo === 'boot-success' &&
  n.groupLabels.ami_version === version;

describe.skipIf(prometheus.skip || alertmanager.skip)('alerting end to end', () => {
  const work = mkdtempSync(join(tmpdir(), 'bw-e2e-'));
  let webhook: Webhook | undefined;
  let collector: RunningCollector | undefined;
  let am: RunningProcess | undefined;
  let prom: RunningProcess | undefined;
  const fleets: Booting[] = [];

  const stopAll = async () => {
    await Promise.all(fleets.map((f) => f.stop()));
    await prom?.stop();
    await am?.stop();
    await collector?.close();
    await webhook?.close();
  };

  afterAll(async () => {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it(
    'pages on a bad AMI rollout, resolves when it stops, and answers every dashboard query',
    { timeout: 170_000 },
    async () => {
      const slos = loadSlos();
      webhook = await startWebhook();
      collector = await runCollector(
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

      writeFileSync(join(work, 'alertmanager.yml'), alertmanagerConfig(webhook.url));
      am = await startProcess(
        'alertmanager',
        required(alertmanager, 'alertmanager', 'prometheus-alertmanager'),
        [
          `--config.file=${join(work, 'alertmanager.yml')}`,
          `--storage.path=${join(work, 'alertmanager')}`,
          '--web.listen-address=127.0.0.1:0',
          '--cluster.listen-address=',
        ],
      );

      writeFileSync(
        join(work, 'bootwatch-rules.yml'),
        generateRules(slos, { links: DefaultLinks, timeScale: TimeScale }),
      );
      writeFileSync(join(work, 'prometheus.yml'), prometheusConfig(collector.url, am.url));
      prom = await startProcess('prometheus', required(prometheus, 'prometheus', 'prometheus'), [
        `--config.file=${join(work, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(work, 'prometheus')}`,
        '--web.listen-address=127.0.0.1:0',
        '--rules.alert.resend-delay=1s',
      ]);
      const promUrl = prom.url;
      await waitForQuery(promUrl, 'up{job="bootwatch"} == 1', 20_000);

      // A good AMI boots; the rules see it.
      const good = startBooting(collector.url, fleet({}), 200);
      fleets.push(good);
      await waitForQuery(
        promUrl,
        `slo:bootwatch_events:increase5m{ami_version="${Good}"} > 0`,
        20_000,
      );

      // The bad AMI rolls out into the same Auto Scaling group: cloud-init fails on every boot.
      const bad = startBooting(
        collector.url,
        fleet({
          amiVersion: Bad,
          amiId: 'ami-0a1b2c3d4e5f60002',
          firstInstance: 0x200000,
          outcome: 'failure',
          reason: 'cloud_init_error',
          timeToReady: () => 150,
        }),
        200,
      );
      fleets.push(bad);
      const page = await webhook.waitFor(`page for ${Bad}`, isPage('firing', Bad), 45_000);
      expect(page.receiver).toBe('pager');
      expect(page.alerts.length).toBeGreaterThan(0);
      for (const alert of page.alerts) {
        expect(alert.labels).toMatchObject({
          alertname: 'BootwatchErrorBudgetBurn',
          severity: 'page',
          slo: 'boot-success',
          ami_version: Bad,
        });
        expect(['1h/5m', '6h/30m']).toContain(alert.labels.window);
        expect(alert.annotations.summary).toContain(
          `boot-success: AMI version ${Bad} burns the 30d error budget`,
        );
        expect(alert.annotations.description).toMatch(/first boots failed in the last (1h|6h)/);
        expect(alert.annotations.description).toContain('Auto Scaling groups with bad boots');
        expect(alert.annotations.runbook_url).toBe('alerts/RUNBOOK.md#bootwatcherrorbudgetburn');
        expect(alert.annotations.dashboard_url).toBe(
          `http://localhost:3000/d/bootwatch-oncall/bootwatch-on-call?var-ami_version=${Bad}`,
        );
      }

      // The bad AMI stops launching (rolled back); the page resolves.
      await bad.stop();
      const resolved = await webhook.waitFor(
        `resolution of the ${Bad} page`,
        isPage('resolved', Bad),
        75_000,
      );
      expect(resolved.alerts.every((a) => a.status === 'resolved')).toBe(true);

      // Nothing about the good AMI; no ticket for the bad one while its page fired (inhibited).
      // Once the last page alert has ended the inhibition lifts, and the tickets, still burning
      // over their longer windows, may go out: that is the routing working, not failing.
      const pageEndedMs = Math.max(...resolved.alerts.map((a) => Date.parse(a.endsAt)));
      const received = webhook.received;
      expect(
        received.filter((n) => n.status === 'firing' && n.groupLabels.ami_version === Good),
      ).toEqual([]);
      const ticketDuringPage = received.filter(
        (n) =>
          n.path === '/bootwatch/ticket' &&
          n.status === 'firing' &&
          n.groupLabels.slo === 'boot-success' &&
          n.groupLabels.ami_version === Bad &&
          n.atMs < pageEndedMs,
      );
      expect(ticketDuringPage).toEqual([]);
      expect(good.errors).toEqual([]);
      expect(bad.errors).toEqual([]);

      // Every dashboard query, as Grafana sends it with the variables at "All": no error, and data.
      // The 30d budget sums whole slices (1h, here 1m): wait for the first one, in every SLO.
      await waitForQuery(
        promUrl,
        `count(count by (slo) (slo:bootwatch_error_budget_remaining:ratio30d)) == ${slos.length}`,
        70_000,
      );
      // The image scan panels need scans: scans.e2e.test.ts answers for them.
      const queries = buildDashboards(slos)
        .flatMap((f) => [...panelQueries(f.dashboard), ...variableQueries(f.dashboard)])
        .filter((q) => !q.expr.includes('bootwatch_image_'));
      expect(await unansweredQueries(promUrl, queries)).toEqual([]);
      expect(queries.length).toBeGreaterThan(40);

      await stopAll();
      for (const p of [prom, am]) expect(p.child.exitCode ?? p.child.signalCode).not.toBeNull();
    },
  );
});
