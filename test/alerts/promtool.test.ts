// The committed rules and Alertmanager example, checked by Prometheus' own tools: promtool check
// and unit-test the rules (alerts/tests/*.yml), amtool checks and routes the Alertmanager config.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DefaultLinks, generateRules } from '../../alerts/generate-rules.js';
import { loadSlos } from '../../shared/slo/load.js';
import { required, tool } from './tools.js';

const alertsDir = fileURLToPath(new URL('../../alerts/', import.meta.url));
const rulesFile = join(alertsDir, 'generated', 'bootwatch-rules.yml');
const amConfig = join(alertsDir, 'alertmanager.yml');
const unitTests = readdirSync(join(alertsDir, 'tests')).filter((f) => f.endsWith('.test.yml'));

const promtool = tool(['promtool'], 'prometheus');
const amtool = tool(['amtool'], 'prometheus-alertmanager');

function run(bin: string, args: string[], cwd = alertsDir) {
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const work = mkdtempSync(join(tmpdir(), 'bw-promtool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(promtool.skip)('promtool', () => {
  const bin = () => required(promtool, 'promtool', 'prometheus');

  it('checks the committed rules', () => {
    const r = run(bin(), ['check', 'rules', rulesFile]);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  it('checks the time-scaled variant the end-to-end test loads', () => {
    const file = join(work, 'scaled.yml');
    writeFileSync(file, generateRules(loadSlos(), { links: DefaultLinks, timeScale: 1 / 60 }));
    const r = run(bin(), ['check', 'rules', file]);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it('has the unit tests the issue asks for', () => {
    expect(unitTests.sort()).toEqual([
      'bad-ami.test.yml',
      'corrections.test.yml',
      'flapping.test.yml',
      'image-scans.test.yml',
      'no-data.test.yml',
      'rollouts.test.yml',
      'slow-ami.test.yml',
      'slow-burn.test.yml',
      'sparse-fleet.test.yml',
    ]);
  });

  it.each(unitTests)('passes the rule unit tests of %s', { timeout: 60_000 }, (file) => {
    const r = run(bin(), ['test', 'rules', join('tests', file)]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });
});

describe.skipIf(amtool.skip)('amtool', () => {
  const bin = () => required(amtool, 'amtool', 'prometheus-alertmanager');
  const receiver = (labels: string[]) =>
    run(bin(), ['config', 'routes', 'test', `--config.file=${amConfig}`, ...labels]).output.trim();

  it('accepts the Alertmanager example', () => {
    const r = run(bin(), ['check-config', amConfig]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('routes pages to the pager and tickets and info to the ticket receiver', () => {
    const burn = [
      'alertname=BootwatchErrorBudgetBurn',
      'slo=boot-success',
      'ami_version=2024.06.2',
    ];
    expect(receiver([...burn, 'severity=page'])).toMatch(/^pager$/m);
    expect(receiver([...burn, 'severity=ticket'])).toMatch(/^ticket$/m);
    expect(receiver(['alertname=BootwatchNoData', 'severity=info'])).toMatch(/^ticket$/m);
  });
});

describe('the Alertmanager example', () => {
  const config = parse(readFileSync(amConfig, 'utf8')) as {
    route: { group_by: string[]; routes: { group_by: string[] }[] };
    inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  };

  it('groups by SLO, AMI version and Auto Scaling group', () => {
    expect(config.route.group_by).toEqual(['slo', 'ami_version', 'asg']);
    expect(config.route.routes[0]?.group_by).toEqual(['slo', 'ami_version', 'asg']);
  });

  it('inhibits a ticket while a page fires for the same group, and a version judged rollback', () => {
    expect(config.inhibit_rules).toEqual([
      {
        source_matchers: ['severity="page"'],
        target_matchers: ['severity="ticket"'],
        equal: ['slo', 'ami_version', 'asg'],
      },
      {
        source_matchers: ['alertname="BootwatchRolloutFailedCanary"'],
        target_matchers: ['alertname="BootwatchErrorBudgetBurn"', 'severity="ticket"'],
        equal: ['ami_version'],
      },
    ]);
  });
});
