// Alerts and dashboards end to end, on 127.0.0.1 with the real components (stack.ts): Debian's
// prometheus scrapes a real collector every second and evaluates the generated rules (scaled
// 1/60: the 1h/5m page reads 1m/5s windows); Debian's alertmanager routes with
// alerts/alertmanager.yml to this test's webhook. Instances boot through the agent's OTLP code.
// A good AMI boots, then a bad one rolls out sparsely (a failed boot every 7 s, 7 minutes at
// production scale, so that the 5 s short window is empty between failures): the page reaches
// the pager at the first failures, stays up through the quiet seconds between them (one firing
// run per page tier: no flapping; the timeline is printed), and resolves once the bad AMI stops;
// the ticket stays inhibited meanwhile; every dashboard query answers through the HTTP API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../../collector/run-collector.js';
import { isBootSli } from '../../alerts/generate-rules.js';
import { buildDashboards } from '../../dashboards/generate-dashboards.js';
import { panelQueries, variableQueries } from '../../dashboards/panel-queries.js';
import { loadSlos } from '../../shared/slo/load.js';
import { startBooting, type Booting, type FleetSpec } from './fleet.js';
import { rangeQuery, waitForQuery } from './prometheus-api.js';
import type { RunningProcess } from './process.js';
import {
  alertmanagerTool,
  prometheusTool,
  startAlertmanager,
  startPrometheus,
  startTestCollector,
} from './stack.js';
import { unansweredQueries } from './dashboard-queries.js';
import { startWebhook, type Received, type Webhook } from './webhook.js';

const Good = '2026.11.1';
const Bad = '2026.11.2';
/** Between two boots of the bad AMI: longer than the 1h/5m page's short window (5 s here). */
const BadEveryMs = 7_000;
/** How long the bad AMI rolls out. */
const BadForMs = 40_000;

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

const isPage = (status: 'firing' | 'resolved', version: string) => (n: Received) =>
  n.path === '/bootwatch/page' &&
  n.status === status &&
  n.groupLabels.slo === 'boot-success' &&
  n.groupLabels.ami_version === version;

interface Run {
  fromMs: number;
  toMs: number;
}

/** The runs of consecutive steps (1 s) in which a series has a sample. */
function runs(values: [number, string][]): Run[] {
  const out: Run[] = [];
  for (const [t] of values) {
    const ms = t * 1000;
    const last = out.at(-1);
    if (last && ms - last.toMs <= 1_000) last.toMs = ms;
    else out.push({ fromMs: ms, toMs: ms });
  }
  return out;
}

describe.skipIf(prometheusTool.skip || alertmanagerTool.skip)('alerting end to end', () => {
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
    'pages on a bad AMI rollout without flapping, resolves when it stops, and answers every dashboard query',
    { timeout: 240_000 },
    async () => {
      const slos = loadSlos();
      webhook = await startWebhook();
      collector = await startTestCollector(work);
      am = await startAlertmanager(work, webhook.url);
      prom = await startPrometheus(work, 'prometheus', slos, collector.url, am.url);
      const promUrl = prom.url;

      // A good AMI boots; the rules see it.
      const good = startBooting(collector.url, fleet({}), 200);
      fleets.push(good);
      await waitForQuery(
        promUrl,
        `slo:bootwatch_events:increase5m{ami_version="${Good}"} > 0`,
        20_000,
      );

      // The bad AMI rolls out into the same Auto Scaling group, sparsely: cloud-init fails on
      // every boot.
      const badStartMs = Date.now();
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
        BadEveryMs,
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

      // The bad AMI goes on failing now and then, then stops launching (rolled back); the page
      // resolves.
      await new Promise((r) => setTimeout(r, Math.max(0, badStartMs + BadForMs - Date.now())));
      await bad.stop();
      const badStopMs = Date.now();
      const resolved = await webhook.waitFor(
        `resolution of the ${Bad} page`,
        isPage('resolved', Bad),
        120_000,
      );
      expect(resolved.alerts.every((a) => a.status === 'resolved')).toBe(true);

      // The firing timeline of every page of the bad AMI, second by second: one run each, from
      // its first failures to a short window (+ keep_firing_for, one more) after the last.
      const timeline = await rangeQuery(
        promUrl,
        `ALERTS{alertname="BootwatchErrorBudgetBurn", alertstate="firing", severity="page", ami_version="${Bad}"}`,
        badStartMs - 2_000,
        Date.now(),
        1,
      );
      const at = (ms: number) => `${((ms - badStartMs) / 1000).toFixed(0)}s`;
      const lines = timeline.map((s) => {
        const r = runs(s.values);
        const spans = r.map((x) => `${at(x.fromMs)}..${at(x.toMs)}`).join(', ');
        return { name: `${s.metric.slo} ${s.metric.window}`, runs: r, text: spans };
      });
      console.log(
        [
          `pages of ${Bad}: bad boots every ${BadEveryMs / 1000} s from 0s, stopped at ${at(badStopMs)}`,
          ...lines.map((l) => `  ${l.name.padEnd(22)} firing ${l.text}`),
        ].join('\n'),
      );
      expect(lines.map((l) => l.name).sort()).toEqual(
        expect.arrayContaining(['boot-success 1h/5m', 'boot-success 6h/30m']),
      );
      for (const l of lines) expect(l.runs, `${l.name} flapped: ${l.text}`).toHaveLength(1);
      // The first page is not delayed: it fires within seconds of the first failed boot.
      const firstPage = lines.find((l) => l.name === 'boot-success 1h/5m')!.runs[0]!;
      expect(firstPage.fromMs - badStartMs).toBeLessThan(8_000);
      expect(firstPage.toMs).toBeGreaterThan(badStopMs - BadEveryMs);
      // Nor did the pager hear of a page of the bad AMI resolved, then firing again.
      const ended = new Set<string>();
      const refired: string[] = [];
      for (const n of webhook.received.filter((x) => x.path === '/bootwatch/page')) {
        for (const a of n.alerts.filter((x) => x.labels.ami_version === Bad)) {
          const name = `${a.labels.slo} ${a.labels.window}`;
          if (a.status === 'resolved') ended.add(name);
          else if (ended.has(name)) refired.push(name);
        }
      }
      expect(refired).toEqual([]);

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
      // (The rollout SLO's budget needs finished rollouts: rollouts.e2e.test.ts answers for it.)
      const bootSlos = slos.filter(isBootSli);
      await waitForQuery(
        promUrl,
        `count(count by (slo) (slo:bootwatch_error_budget_remaining:ratio30d)) == ${bootSlos.length}`,
        70_000,
      );
      // The image scan panels need scans (scans.e2e.test.ts answers for them), the rollout panels
      // rollouts (rollouts.e2e.test.ts).
      const queries = buildDashboards(slos)
        .flatMap((f) => [...panelQueries(f.dashboard), ...variableQueries(f.dashboard)])
        .filter(
          (q) => !q.expr.includes('bootwatch_image_') && !q.expr.includes('bootwatch_rollout'),
        );
      expect(await unansweredQueries(promUrl, queries)).toEqual([]);
      expect(queries.length).toBeGreaterThan(40);

      await stopAll();
      for (const p of [prom, am]) expect(p.child.exitCode ?? p.child.signalCode).not.toBeNull();
    },
  );
});
