// Image scans end to end, on 127.0.0.1 with the real components: Debian's prometheus scrapes a
// real collector (SQLite in a temporary folder) every second and evaluates the generated rules
// (the time-scaled variant, 1/60: the scan tickets' 15m and 1h `for` are 15s and 1m). Real scanner
// reports go in through `bootwatch scan submit`, a launch through a CloudTrail RunInstances event:
// both scan tickets fire for the versions they are about, and every dashboard query on the scan
// gauges answers with data (alerting.e2e.test.ts answers for the others).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { DefaultLinks, generateRules } from '../../alerts/generate-rules.js';
import { main } from '../../cli/main.js';
import { buildCollectorConfig } from '../../collector/config.js';
import { runCollector, type RunningCollector } from '../../collector/run-collector.js';
import { buildDashboards } from '../../dashboards/generate-dashboards.js';
import { panelQueries } from '../../dashboards/panel-queries.js';
import { loadSlos } from '../../shared/slo/load.js';
import { required, tool } from '../alerts/tools.js';
import { unansweredQueries } from './dashboard-queries.js';
import { instantQuery, waitForQuery } from './prometheus-api.js';
import { startProcess, type RunningProcess } from './process.js';

const prometheus = tool(['prometheus'], 'prometheus');
const Token = 'e2e-admin-token';
const scanFixture = (name: string) =>
  readFileSync(new URL(`../fixtures/real/scans/${name}`, import.meta.url), 'utf8');

/** The fleet's version (launched by the CloudTrail fixture, never scanned), then two newer ones. */
const Images = [
  { amiId: 'ami-0123456789abcdef0', version: '2026.11.0' },
  { amiId: 'ami-0a1b2c3d4e5f60021', version: '2026.11.1' },
  { amiId: 'ami-0a1b2c3d4e5f60022', version: '2026.11.2' },
];

describe.skipIf(prometheus.skip)('image scans end to end', () => {
  const work = mkdtempSync(join(tmpdir(), 'bw-e2e-scans-'));
  let collector: RunningCollector | undefined;
  let prom: RunningProcess | undefined;

  afterAll(async () => {
    vi.restoreAllMocks();
    await prom?.stop();
    await collector?.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it(
    'raises both scan tickets and answers every scan panel query from a real Prometheus',
    { timeout: 170_000 },
    async () => {
      collector = await runCollector(
        buildCollectorConfig({
          file: {
            listen: '127.0.0.1:0',
            store: join(work, 'bootwatch.db'),
            admin_token: Token,
            allow_anonymous: true,
            log_level: 'silent',
          },
          filePath: 'e2e',
          hostname: 'e2e',
        }),
        { handleSignals: false },
      );
      const api = (path: string, body: unknown) =>
        fetch(`${collector?.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${Token}`, 'content-type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
      for (const image of Images) {
        expect((await api('/api/v1/images', image)).status).toBe(201);
        await new Promise((r) => setTimeout(r, 5)); // registered in this order
      }
      const events = readFileSync(
        new URL('../fixtures/cloudtrail-runinstances.json', import.meta.url),
        'utf8',
      );
      expect((await api('/v1/events', events)).status).toBe(200);

      // 2026.11.1: Grype's critical without a fix. 2026.11.2: one fixable critical.
      vi.spyOn(console, 'log').mockImplementation(() => undefined);
      const older = join(work, 'grype.json');
      writeFileSync(older, scanFixture('grype-image.json'));
      const newer = join(work, 'trivy.json');
      writeFileSync(newer, scanFixture('trivy-centos-7.json').replace('"MEDIUM"', '"CRITICAL"'));
      const submit = (amiId: string, file: string) =>
        main([
          'scan',
          'submit',
          '--ami',
          amiId,
          file,
          '--url',
          collector?.url ?? '',
          '--token',
          Token,
        ]);
      expect(await submit(Images[1]!.amiId, older)).toBe(0);
      expect(await submit(Images[2]!.amiId, newer)).toBe(0);

      writeFileSync(
        join(work, 'bootwatch-rules.yml'),
        generateRules(loadSlos(), { links: DefaultLinks, timeScale: 1 / 60 }),
      );
      writeFileSync(
        join(work, 'prometheus.yml'),
        stringify({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          rule_files: ['bootwatch-rules.yml'],
          scrape_configs: [
            { job_name: 'bootwatch', static_configs: [{ targets: [new URL(collector.url).host] }] },
          ],
        }),
      );
      prom = await startProcess('prometheus', required(prometheus, 'prometheus', 'prometheus'), [
        `--config.file=${join(work, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(work, 'prometheus')}`,
        '--web.listen-address=127.0.0.1:0',
      ]);
      const promUrl = prom.url;

      await waitForQuery(
        promUrl,
        'ALERTS{alertname="BootwatchImageVulnerabilitiesIncreased", alertstate="firing", ' +
          'ami_version="2026.11.2", replaced_version="2026.11.1", severity="ticket"}',
        60_000,
      );
      await waitForQuery(
        promUrl,
        'ALERTS{alertname="BootwatchImageScanOverdue", alertstate="firing", ami_version="2026.11.0"}',
        120_000,
      );
      const running = await instantQuery(
        promUrl,
        'bootwatch_image_instances_running{ami_version="2026.11.0"}',
      );
      expect(running.data?.result).toMatchObject([{ value: [expect.any(Number), '2'] }]);

      const queries = buildDashboards(loadSlos())
        .flatMap((f) => panelQueries(f.dashboard))
        .filter((q) => q.expr.includes('bootwatch_image_'));
      expect(await unansweredQueries(promUrl, queries)).toEqual([]);
      expect(queries.map((q) => `${q.dashboard} / ${q.panel}`)).toEqual([
        'bootwatch-executive / Vulnerability trend by AMI version',
        'bootwatch-executive / Fixable critical and high, latest scan per AMI version',
        'bootwatch-debug / Latest scan per AMI version',
        'bootwatch-debug / Age of the latest scan per AMI version',
      ]);
    },
  );
});
