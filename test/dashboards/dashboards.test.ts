import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { DefaultLinks, generateRules } from '../../alerts/generate-rules.js';
import { runGenerateCommand } from '../../cli/generate-command.js';
import { buildDashboards, generateDashboards } from '../../dashboards/generate-dashboards.js';
import type { Dashboard, Panel } from '../../dashboards/grafana-model.js';
import { interpolate, panelQueries, variableQueries } from '../../dashboards/panel-queries.js';
import { defaultSlos } from '../../shared/slo/defaults.js';
import { loadSlos } from '../../shared/slo/load.js';
import { required, tool } from '../alerts/tools.js';

const dir = new URL('../../dashboards/', import.meta.url);
const committed = (name: string) => readFileSync(new URL(`generated/${name}`, dir), 'utf8');
const dashboards = buildDashboards(loadSlos()).map((f) => f.dashboard);
const byUid = (uid: string) => dashboards.find((d) => d.uid === uid)!;
const titles = (d: Dashboard) => d.panels.map((p) => p.title);

/** What Grafana would send with every variable at its default ("All" for the filters). */
const DefaultVariables = {
  datasource: 'prometheus',
  ami_version: '.*',
  region: '.*',
  asg: '.*',
  __range: '1h',
  __rate_interval: '5m',
};

const work = mkdtempSync(join(tmpdir(), 'bw-dashboards-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('generated dashboards (golden)', () => {
  it('regenerating from the built-in SLOs gives the committed bytes', () => {
    const files = generateDashboards(loadSlos());
    expect(files.map((f) => f.name)).toEqual([
      'bootwatch-executive.json',
      'bootwatch-oncall.json',
      'bootwatch-debug.json',
    ]);
    for (const f of files) expect(f.text, f.name).toBe(committed(f.name));
  });

  it('`bootwatch generate dashboards --check` accepts the committed files', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await runGenerateCommand(['dashboards', '--check'])).toBe(0);
    vi.restoreAllMocks();
  });
});

describe.each(dashboards.map((d) => [d.uid, d] as const))('dashboard %s', (_uid, d) => {
  const json = JSON.stringify(d);

  it('is at the current schema version, tagged, with the filter variables', () => {
    expect(d.schemaVersion).toBe(42);
    expect(d.tags).toEqual(['bootwatch']);
    const vars = d.templating.list;
    expect(vars[0]).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
    for (const name of ['ami_version', 'region', 'asg']) {
      expect(vars.find((v) => v.name === name)).toMatchObject({
        type: 'query',
        multi: true,
        includeAll: true,
        allValue: '.*',
        datasource: { type: 'prometheus', uid: '${datasource}' },
      });
    }
  });

  it('names no data source uid: every query uses the datasource variable', () => {
    const uids = [...json.matchAll(/"datasource":\{"type":"(\w+)","uid":"([^"]*)"\}/g)].map(
      (m) => `${m[1]}:${m[2]}`,
    );
    expect(new Set(uids)).toEqual(new Set(['grafana:-- Grafana --', 'prometheus:${datasource}']));
  });

  it('places every panel on the 24-column grid without overlap, ids unique', () => {
    const cells = new Set<string>();
    const ids = new Set<number>();
    for (const p of d.panels) {
      expect(ids.has(p.id)).toBe(false);
      ids.add(p.id);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('reads only recorded series that the generated rules record', () => {
    const rules = readFileSync(
      new URL('../../alerts/generated/bootwatch-rules.yml', import.meta.url),
      'utf8',
    );
    const recorded = new Set([...rules.matchAll(/record: (\S+)/g)].map((m) => m[1]));
    const used = new Set(json.match(/slo:bootwatch_[a-z_]+:[a-z0-9]+/g) ?? []);
    expect([...used].filter((name) => !recorded.has(name))).toEqual([]);
  });
});

describe('what each dashboard shows', () => {
  it('executive: success per AMI version, p95 time to ready, budget remaining, versions rolling out', () => {
    const t = titles(byUid('bootwatch-executive'));
    expect(t).toContain('boot-success: good boots per AMI version (time range)');
    expect(t).toContain('time-to-ready: good boots per AMI version (time range)');
    expect(t).toContain('p95 time to ready of successful boots, per AMI version');
    expect(t).toContain('boot-success: error budget remaining (30d)');
    expect(t).toContain('Share of first boots per AMI version (time range)');
  });

  it('on-call: failures by reason, each tier burn rate against its threshold, replacements, alerts', () => {
    const d = byUid('bootwatch-oncall');
    const t = titles(d);
    expect(t).toContain('Failed first boots by reason');
    expect(t).toContain('Firing bootwatch alerts');
    expect(t).toContain('Launches per Auto Scaling group');
    const burn = d.panels.find((p) => p.title === 'boot-success: page 1h/5m burn rate')!;
    expect(burn.targets?.map((q) => q.expr)).toEqual([
      'slo:bootwatch_burn_rate:ratio1h{slo="boot-success", ami_version=~"$ami_version"}',
      'slo:bootwatch_burn_rate:ratio5m{slo="boot-success", ami_version=~"$ami_version"}',
      'slo:bootwatch_burn_rate_threshold:ratio{slo="boot-success", window="1h/5m"}',
    ]);
    expect(t.filter((x) => x.endsWith('burn rate'))).toHaveLength(8);
  });

  it('debug: phases, cloud-init stages, coverage and the timeline link of one instance', () => {
    const d = byUid('bootwatch-debug');
    const t = titles(d);
    expect(t).toContain('p95 seconds per boot phase');
    expect(t).toContain('cloud-init stages: p95 seconds per AMI version (time range)');
    expect(t).toContain('Agent coverage');
    const link = d.panels.find((p: Panel) => p.type === 'text')!;
    expect(String(link.options?.content)).toContain('${collector_url}/api/v1/boots/${instance_id}');
    expect(d.templating.list.map((v) => v.name)).toContain('instance_id');
  });

  it('follows the SLOs: a 99.5% SLO grouped by version and ASG filters its series by both', () => {
    const slo = {
      ...defaultSlos()[0]!,
      name: 'web-boots',
      objective: 0.995,
      groupBy: ['ami_version' as const, 'asg' as const],
    };
    const oncall = buildDashboards([slo]).find((f) => f.dashboard.uid === 'bootwatch-oncall')!;
    const burn = oncall.dashboard.panels.find((p) => p.title === 'web-boots: page 1h/5m burn rate');
    expect(burn?.targets?.[0]?.expr).toBe(
      'slo:bootwatch_burn_rate:ratio1h{slo="web-boots", ami_version=~"$ami_version", asg=~"$asg"}',
    );
  });
});

describe('interpolate', () => {
  it('replaces the longest names first and every spelling', () => {
    expect(
      interpolate('x[$__rate_interval] y[$__range] ${asg} [[asg]]', {
        __range: '1h',
        __rate_interval: '5m',
        asg: 'web',
      }),
    ).toBe('x[5m] y[1h] web web');
  });

  it('refuses to leave a variable behind', () => {
    expect(() => interpolate('x{a=~"$region"}', {})).toThrow('variable $region left');
  });
});

const promtool = tool(['promtool'], 'prometheus');

describe.skipIf(promtool.skip)('every dashboard query', () => {
  it('is valid PromQL once Grafana has interpolated it (promtool check rules)', () => {
    const queries = dashboards.flatMap((d) => [...panelQueries(d), ...variableQueries(d)]);
    expect(queries.length).toBeGreaterThan(40);
    const rules = queries.map((q, i) => ({
      record: `panel_query_${i}`,
      expr: interpolate(q.expr, DefaultVariables),
    }));
    const file = join(work, 'panel-queries.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'panels', rules }] }));
    const r = spawnSync(required(promtool, 'promtool', 'prometheus'), ['check', 'rules', file], {
      encoding: 'utf8',
    });
    expect(`${r.stdout}${r.stderr}`).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('keeps the rules and dashboards of a time-scaled variant consistent (names kept)', () => {
    const scaled = generateRules(loadSlos(), { links: DefaultLinks, timeScale: 1 / 60 });
    const recorded = new Set([...scaled.matchAll(/record: (\S+)/g)].map((m) => m[1]));
    const used = new Set(
      dashboards.flatMap((d) => JSON.stringify(d).match(/slo:bootwatch_[a-z_]+:[a-z0-9]+/g) ?? []),
    );
    expect([...used].filter((n) => !recorded.has(n))).toEqual([]);
  });
});

describe('Grafana provisioning', () => {
  const yaml = (path: string) =>
    parse(readFileSync(new URL(path, dir), 'utf8')) as Record<string, unknown>;

  it('provisions a Prometheus data source', () => {
    expect(yaml('provisioning/datasources/bootwatch.yml')).toMatchObject({
      apiVersion: 1,
      datasources: [{ type: 'prometheus', access: 'proxy', url: 'http://localhost:9090' }],
    });
  });

  it('provisions the dashboards from files into a bootwatch folder', () => {
    expect(yaml('provisioning/dashboards/bootwatch.yml')).toMatchObject({
      apiVersion: 1,
      providers: [
        {
          name: 'bootwatch',
          type: 'file',
          folder: 'bootwatch',
          options: { path: '/var/lib/grafana/dashboards/bootwatch' },
        },
      ],
    });
  });
});
