// Rollouts end to end, on 127.0.0.1 with the real components (stack.ts): Debian's prometheus
// scrapes a real collector every second and evaluates the generated rules (scaled 1/60). Two
// canaries start through the API; one is rolled back by its pipeline (bootwatch_rollouts_total
// counts it once Prometheus saw the series at 0), the other's candidate fails every boot through
// the agent's OTLP code until its verdict says rollback: BootwatchRolloutFailedCanary fires for
// it, with the candidate as ami_version. Then every rollout panel and annotation query of the
// dashboards answers with data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../../collector/run-collector.js';
import { buildDashboards } from '../../dashboards/generate-dashboards.js';
import { annotationQueries, panelQueries } from '../../dashboards/panel-queries.js';
import { loadSlos } from '../../shared/slo/load.js';
import { unansweredQueries } from './dashboard-queries.js';
import { startBooting, type Booting, type FleetSpec } from './fleet.js';
import { waitForQuery } from './prometheus-api.js';
import type { RunningProcess } from './process.js';
import { prometheusTool, startPrometheus, startTestCollector } from './stack.js';

const Images = [
  { amiId: 'ami-0a1b2c3d4e5f60031', version: '2026.12.0' },
  { amiId: 'ami-0a1b2c3d4e5f60032', version: '2026.12.1' },
];

const fleet = (over: Partial<FleetSpec>): FleetSpec => ({
  amiVersion: Images[0]!.version,
  amiId: Images[0]!.amiId,
  asg: 'web',
  region: 'eu-west-1',
  firstInstance: 0x300000,
  outcome: 'success',
  reason: 'none',
  timeToReady: (seq) => 45 + (seq % 10) * 5,
  ...over,
});

describe.skipIf(prometheusTool.skip)('rollouts end to end', () => {
  const work = mkdtempSync(join(tmpdir(), 'bw-e2e-rollouts-'));
  let collector: RunningCollector | undefined;
  let prom: RunningProcess | undefined;
  const fleets: Booting[] = [];

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.stop()));
    await prom?.stop();
    await collector?.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it(
    'pages for a canary judged rollback and answers every rollout panel query',
    { timeout: 180_000 },
    async () => {
      collector = await startTestCollector(work);
      const url = collector.url;
      const call = async (method: string, path: string, body?: unknown) => {
        const r = await fetch(`${url}${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: r.status, body: (await r.json()) as Record<string, unknown> };
      };
      for (const image of Images) {
        expect((await call('POST', '/api/v1/images', image)).status).toBe(201);
      }
      const [baseline, candidate] = Images.map((i) => i.version) as [string, string];
      const start = (asg: string) =>
        call('POST', '/api/v1/rollouts', { candidate, baseline, scope: { asgs: [asg] } });
      const web = await start('web');
      const api = await start('api');
      expect([web.status, api.status]).toEqual([201, 201]);
      const webId = (web.body.rollout as { id: number }).id;
      const apiId = (api.body.rollout as { id: number }).id;

      prom = await startPrometheus(work, 'prometheus', loadSlos(), url, null);
      const promUrl = prom.url;
      // The counter's series at 0 first, so that increase() counts the rollback.
      await waitForQuery(promUrl, 'bootwatch_rollouts_total{outcome="rolled_back"} == 0', 20_000);
      expect((await call('POST', `/api/v1/rollouts/${apiId}/rollback`, {})).status).toBe(200);
      await waitForQuery(
        promUrl,
        'slo:bootwatch_events:increase5m{slo="rollout-success"} > 0',
        30_000,
      );

      // In web, the baseline boots well and the candidate fails every boot.
      fleets.push(startBooting(url, fleet({}), 100));
      fleets.push(
        startBooting(
          url,
          fleet({
            amiVersion: candidate,
            amiId: Images[1]!.amiId,
            firstInstance: 0x400000,
            outcome: 'failure',
            reason: 'cloud_init_error',
            timeToReady: () => 150,
          }),
          100,
        ),
      );
      let verdict = '';
      for (let i = 0; i < 60 && verdict !== 'rollback'; i += 1) {
        await new Promise((r) => setTimeout(r, 500));
        verdict = String((await call('GET', `/api/v1/rollouts/${webId}/verdict`)).body.verdict);
      }
      expect(verdict).toBe('rollback');
      await waitForQuery(
        promUrl,
        `ALERTS{alertname="BootwatchRolloutFailedCanary", alertstate="firing", severity="page", ` +
          `rollout="${webId}", candidate="${candidate}", ami_version="${candidate}", baseline="${baseline}"}`,
        30_000,
      );

      const dashboards = buildDashboards(loadSlos()).map((f) => f.dashboard);
      const queries = [
        ...dashboards.flatMap(panelQueries),
        ...dashboards.flatMap(annotationQueries),
      ].filter((q) => q.expr.includes('bootwatch_rollout'));
      expect(await unansweredQueries(promUrl, queries)).toEqual([]);
      expect(queries.map((q) => `${q.dashboard} / ${q.panel}`)).toEqual([
        'bootwatch-executive / Active rollouts and canary status',
        'bootwatch-executive / Rollback rate (time range)',
        'bootwatch-oncall / Active rollouts',
        'bootwatch-oncall / Rollouts finished (time range)',
        'bootwatch-oncall / Rollouts finished per outcome',
        'bootwatch-oncall / annotation Canaries',
        'bootwatch-oncall / annotation Rollouts finished',
      ]);
      for (const f of fleets) expect(f.errors).toEqual([]);
    },
  );
});
