import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { buildRuleFile, DefaultLinks, generateRules } from '../../alerts/generate-rules.js';
import { isAlertingRule, type AlertingRule, type RecordingRule } from '../../alerts/rule-file.js';
import { runGenerateCommand } from '../../cli/generate-command.js';
import { isBootwatchError } from '../../shared/errors.js';
import { defaultSlos } from '../../shared/slo/defaults.js';
import { loadSlos } from '../../shared/slo/load.js';
import type { Slo } from '../../shared/slo/model.js';

const DayMs = 86_400_000;

const committed = new URL('../../alerts/generated/bootwatch-rules.yml', import.meta.url);
const links = DefaultLinks;

function rules(slos: Slo[], timeScale = 1) {
  const file = buildRuleFile(slos, { links, timeScale });
  const all = file.groups.flatMap((g) => g.rules);
  return {
    file,
    alerts: all.filter(isAlertingRule),
    records: all.filter((r): r is RecordingRule => !isAlertingRule(r)),
  };
}

function bootSuccess(over: Partial<Slo> = {}): Slo {
  const slo = defaultSlos()[0]!;
  return { ...slo, ...over };
}

let dirs: string[] = [];
afterEach(() => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  dirs = [];
  vi.restoreAllMocks();
});

describe('generated rules (golden)', () => {
  it('regenerating from the built-in SLOs gives the committed bytes', () => {
    expect(generateRules(loadSlos(), { links })).toBe(readFileSync(committed, 'utf8'));
  });

  it('`bootwatch generate rules --out DIR` writes the same file, and --check accepts it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bw-rules-'));
    dirs.push(out);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await runGenerateCommand(['rules', '--out', out])).toBe(0);
    const written = readFileSync(join(out, 'generated', 'bootwatch-rules.yml'), 'utf8');
    expect(written).toBe(readFileSync(committed, 'utf8'));
    expect(await runGenerateCommand(['rules', '--out', out, '--check'])).toBe(0);
  });

  it('--check fails on a stale file and names it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bw-rules-'));
    dirs.push(out);
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => errors.push(m));
    expect(await runGenerateCommand(['rules', '--out', out, '--check'])).toBe(1);
    expect(errors.join('\n')).toContain('bootwatch-rules.yml differs');
  });

  it('follows an SLO file: objective, window, group labels and tiers', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bw-rules-'));
    dirs.push(out);
    const sloFile = join(out, 'slos.yaml');
    writeFileSync(
      sloFile,
      [
        'slos:',
        '  - name: web-boots',
        '    sli: boot_success',
        '    objective: 99.5',
        '    window: 28d',
        '    group_by: [ami_version, asg]',
        '    alerting:',
        '      tiers:',
        '        - { severity: page, long_window: 1h, short_window: 5m, budget_consumed: 2 }',
        '',
      ].join('\n'),
    );
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await runGenerateCommand(['rules', '--slo-file', sloFile, '--out', out])).toBe(0);
    const doc = parse(readFileSync(join(out, 'generated', 'bootwatch-rules.yml'), 'utf8')) as {
      groups: { name: string; rules: (RecordingRule | AlertingRule)[] }[];
    };
    const group = doc.groups[0]!;
    expect(group.name).toBe('bootwatch-slo-web-boots');
    const page = group.rules.filter(isAlertingRule);
    expect(page.map((a) => a.labels)).toEqual([
      { severity: 'page', slo: 'web-boots', window: '1h/5m' },
    ]);
    // factor 0.02 * 672h / 1h = 13.44; r = 13.44 * 0.005 = 0.0672; n_min = ceil(1 / r) = 15
    expect(page[0]!.expr).toContain('> 0.0672');
    expect(page[0]!.expr).toContain('>= 15');
    const events = group.rules.find(
      (r) => 'record' in r && r.record === 'slo:bootwatch_events:increase28d',
    );
    expect(events?.expr).toBe(
      'sum_over_time(slo:bootwatch_events:increase1h{slo="web-boots"}[28d:1h])',
    );
    const ratio = group.rules.find(
      (r) => 'record' in r && r.record === 'slo:bootwatch_events:increase5m',
    );
    expect(ratio?.expr).toContain('sum by (ami_version, asg)');
  });

  it('parses as YAML with one group per SLO, the meta, image scan and rollout groups', () => {
    const doc = parse(readFileSync(committed, 'utf8')) as { groups: { name: string }[] };
    expect(doc.groups.map((g) => g.name)).toEqual([
      'bootwatch-slo-boot-success',
      'bootwatch-slo-time-to-ready',
      'bootwatch-slo-rollout-success',
      'bootwatch-meta',
      'bootwatch-image-scans',
      'bootwatch-rollouts',
    ]);
  });
});

describe('alerting rules', () => {
  it('one burn alert per SLO and tier, labelled severity, slo and window', () => {
    const { alerts } = rules(defaultSlos());
    const burns = alerts.filter((a) => a.alert === 'BootwatchErrorBudgetBurn');
    expect(burns.map((a) => [a.labels.slo, a.labels.severity, a.labels.window])).toEqual([
      ['boot-success', 'page', '1h/5m'],
      ['boot-success', 'page', '6h/30m'],
      ['boot-success', 'ticket', '1d/2h'],
      ['boot-success', 'ticket', '3d/6h'],
      ['time-to-ready', 'page', '1h/5m'],
      ['time-to-ready', 'page', '6h/30m'],
      ['time-to-ready', 'ticket', '1d/2h'],
      ['time-to-ready', 'ticket', '3d/6h'],
      ['rollout-success', 'page', '1h/5m'],
      ['rollout-success', 'page', '6h/30m'],
      ['rollout-success', 'ticket', '1d/2h'],
      ['rollout-success', 'ticket', '3d/6h'],
    ]);
    for (const a of burns) {
      expect(Object.keys(a.annotations)).toEqual([
        'summary',
        'description',
        'runbook_url',
        'dashboard_url',
      ]);
    }
  });

  it('expresses the sparse rule with the engine thresholds: r = f(1 - objective), n_min = ceil(1/r)', () => {
    const page = rules(defaultSlos()).alerts[0]!;
    expect(page.expr).toBe(
      [
        'slo:bootwatch_burn_rate:ratio1h{slo="boot-success"}',
        'and slo:bootwatch_error_ratio:ratio1h{slo="boot-success"} > 0.0144',
        'and slo:bootwatch_error_ratio:ratio5m{slo="boot-success"} > 0.0144',
        'and (',
        '  slo:bootwatch_events:increase1h{slo="boot-success"} >= 70',
        '  or slo:bootwatch_error_ratio_wilson_lower:ratio1d{slo="boot-success"} > 0.0144',
        ')',
      ].join('\n'),
    );
    const ttrTicket = rules(defaultSlos()).alerts[7]!;
    expect(ttrTicket.expr).toContain(
      'slo:bootwatch_error_ratio:ratio3d{slo="time-to-ready"} > 0.05',
    );
    expect(ttrTicket.expr).toContain('>= 20');
  });

  it('carries the Wilson z of the SLO into the recorded bound', () => {
    const { records } = rules([bootSuccess({ sparse: { z: 2, evidenceWindowMs: DayMs } })]);
    const wilson = records.find(
      (r) => r.record === 'slo:bootwatch_error_ratio_wilson_lower:ratio1d',
    );
    expect(wilson?.expr).toContain('+ 2 / slo:bootwatch_events:increase1d');
    expect(wilson?.expr).toContain('- 2 * sqrt(');
    expect(wilson?.expr).toContain('/ (1 + 4 / slo:bootwatch_events:increase1d');
  });

  it('judges the Wilson bound over the evidence window: max(long window, sparse.evidence_window)', () => {
    const wilsonWindows = (evidenceWindowMs: number) => {
      const { records, alerts } = rules([bootSuccess({ sparse: { z: 3, evidenceWindowMs } })]);
      const recorded = records
        .map((r) => /wilson_lower:ratio(\w+)$/.exec(r.record)?.[1])
        .filter((w) => w !== undefined);
      const used = alerts
        .map((a) => /wilson_lower:ratio(\w+)\{/.exec(a.expr)?.[1])
        .filter((w) => w !== undefined);
      return { recorded, used };
    };
    // Default tiers 1h, 6h, 1d, 3d: evidence over 1d, 1d, 1d, 3d.
    expect(wilsonWindows(DayMs)).toEqual({
      recorded: ['1d', '3d'],
      used: ['1d', '1d', '1d', '3d'],
    });
    // 12h is a window of its own: its counts are recorded too.
    const { records } = rules([bootSuccess({ sparse: { z: 3, evidenceWindowMs: DayMs / 2 } })]);
    expect(records.map((r) => r.record)).toContain('slo:bootwatch_events:increase12h');
    expect(wilsonWindows(DayMs / 2)).toEqual({
      recorded: ['12h', '1d', '3d'],
      used: ['12h', '12h', '1d', '3d'],
    });
  });

  it('names the Auto Scaling groups in the description unless the SLO groups by asg', () => {
    const byVersion = rules([bootSuccess()]).alerts[0]!;
    expect(byVersion.annotations.description).toContain('Auto Scaling groups with bad boots');
    expect(byVersion.annotations.dashboard_url).toBe(
      'http://localhost:3000/d/bootwatch-oncall/bootwatch-on-call?var-ami_version={{ $labels.ami_version | urlquery }}',
    );
    const byAsg = rules([bootSuccess({ groupBy: ['ami_version', 'asg'] })]).alerts[0]!;
    expect(byAsg.annotations.description).not.toContain('Auto Scaling groups with bad boots');
    expect(byAsg.annotations.summary).toContain(
      'AMI version {{ $labels.ami_version }}, Auto Scaling group {{ $labels.asg }}',
    );
    expect(byAsg.annotations.dashboard_url).toContain('&var-asg={{ $labels.asg | urlquery }}');
  });

  it('says when Prometheus scrapes no collector, as info after 15 minutes', () => {
    const noData = rules(defaultSlos()).alerts.find((a) => a.alert === 'BootwatchNoData');
    expect(noData).toMatchObject<Partial<AlertingRule>>({
      expr: 'absent(bootwatch_instances_running)',
      for: '15m',
      labels: { severity: 'info' },
    });
  });
});

describe('recording rules', () => {
  it('count events as boots minus retractions, by the SLO group labels', () => {
    const { records } = rules([bootSuccess({ groupBy: ['ami_version', 'region'] })]);
    const events = records.find((r) => r.record === 'slo:bootwatch_events:increase5m')!;
    expect(events.labels).toEqual({ slo: 'boot-success' });
    expect(events.expr).toContain(
      'sum by (ami_version, region) (increase(bootwatch_boots_total[5m]))',
    );
    expect(events.expr).toContain('increase(bootwatch_boots_retracted_total[5m])');
  });

  it('count time-to-ready errors from the success bucket at the threshold', () => {
    const ttr = defaultSlos()[1]!;
    const errors = rules([ttr]).records.find((r) => r.record === 'slo:bootwatch_errors:increase1h');
    expect(errors?.expr).toContain(
      'increase(bootwatch_time_to_ready_seconds_bucket{outcome="success", le=~"120(\\\\.0)?"}[1h])',
    );
  });

  it('sum the SLO window from recorded one-hour slices', () => {
    const { records } = rules([bootSuccess()]);
    expect(records.find((r) => r.record === 'slo:bootwatch_events:increase30d')?.expr).toBe(
      'sum_over_time(slo:bootwatch_events:increase1h{slo="boot-success"}[30d:1h])',
    );
  });

  it('a time-scaled variant shortens every range and keeps every name', () => {
    const normal = rules(defaultSlos());
    const scaled = rules(defaultSlos(), 1 / 60);
    expect(scaled.records.map((r) => r.record)).toEqual(normal.records.map((r) => r.record));
    expect(scaled.alerts.map((a) => a.labels)).toEqual(normal.alerts.map((a) => a.labels));
    const events1h = scaled.records.find((r) => r.record === 'slo:bootwatch_events:increase1h');
    expect(events1h?.expr).toContain('[1m]');
    const budget = scaled.records.find((r) => r.record === 'slo:bootwatch_events:increase30d');
    expect(budget?.expr).toContain('[12h:1m]');
    expect(scaled.alerts.find((a) => a.alert === 'BootwatchNoData')?.for).toBe('15s');
    expect(scaled.file.header.join('\n')).toContain('TIME-SCALED VARIANT');
  });
});

describe('what cannot become rules', () => {
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return isBootwatchError(e) ? `${e.code}: ${e.message}` : String(e);
    }
    return 'no error';
  };

  // The checks are the shared validation's (shared/slo/validate.ts, test/shared/slo/).
  it('refuses a time-to-ready SLO grouped by a label the histogram lacks, naming it', () => {
    const ttr = { ...defaultSlos()[1]!, groupBy: ['instance_type' as const] };
    expect(codeOf(() => rules([ttr]))).toBe(
      'BW_SLO_INVALID: SLOs: 1 problem:\n  built-in: time-to-ready.group_by: time_to_ready groups by the labels ' +
        'of the time-to-ready histogram, which the generated Prometheus rules read: expected some of ' +
        '[ami_version, region, asg], got [instance_type] (instance_type is not one)',
    );
  });

  it('refuses a threshold between bucket bounds', () => {
    const ttr = { ...defaultSlos()[1]!, thresholdSeconds: 100 };
    expect(codeOf(() => rules([ttr]))).toMatch(/threshold: expected one of the histogram bounds/);
  });

  it('refuses two SLOs of the same name', () => {
    expect(codeOf(() => rules([bootSuccess(), bootSuccess()]))).toBe(
      "BW_SLO_INVALID: SLOs: 1 problem:\n  built-in: boot-success.name: 'boot-success' is already the name of the SLO at built-in",
    );
  });

  it('leaves instance-sampled SLIs to the engine and says so in the header', () => {
    const coverage = bootSuccess({ name: 'coverage', sli: 'agent_coverage', groupBy: [] });
    const { file } = rules([bootSuccess(), coverage]);
    expect(file.groups.map((g) => g.name)).toEqual([
      'bootwatch-slo-boot-success',
      'bootwatch-meta',
      'bootwatch-image-scans',
      'bootwatch-rollouts',
    ]);
    expect(file.header.join('\n')).toContain('coverage: agent_coverage');
    expect(file.header.join('\n')).toContain('no rules here, the collector evaluates it');
  });

  it('rejects a time scale outside (0, 1]', () => {
    expect(codeOf(() => rules(defaultSlos(), 2))).toBe(
      'BW_CONFIG_INVALID: timeScale: expected a number in (0, 1], got 2',
    );
  });
});
