// SLO files in bootwatch's YAML: the model they map onto, the defaults, and every problem named
// with its file, line and field (a known-good file plus one change per case).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBootwatchError } from '../../../shared/errors.js';
import { defaultSlos } from '../../../shared/slo/defaults.js';
import { checkSloDocuments, loadSlos, parseSloDocuments } from '../../../shared/slo/load.js';
import { defaultTiers } from '../../../shared/slo/tiers.js';
import { validateSlos } from '../../../shared/slo/validate.js';

const DayMs = 86_400_000;

const Good = `slos:
  - name: boot-success
    description: First boots become ready
    sli: boot_success
    objective: 99.9
    window: 28d
    group_by: [ami_version, region]
  - name: time-to-ready
    sli: time_to_ready
    threshold: 120s
    objective: 95
    window: 7d
    alerting:
      tiers:
        - { severity: page, long_window: 1h, short_window: 5m, budget_consumed: 2 }
        - { severity: ticket, long_window: 1d, short_window: 2h, budget_consumed: "10%" }
      sparse: { z: 2.5, evidence_window: 12h }
  - name: coverage
    sli: agent_coverage
    objective: 99
`;

/** The problems of Good with one line replaced. */
function problemsWith(from: string, to: string): string[] {
  expect(Good).toContain(from);
  return checkSloDocuments(Good.replace(from, to), 'slos.yaml').problems;
}

describe('bootwatch SLO files', () => {
  it('map onto the model, with defaults for what is not written', () => {
    const [success, ready, coverage] = parseSloDocuments(Good, 'slos.yaml');
    expect(success).toEqual({
      name: 'boot-success',
      description: 'First boots become ready',
      sli: 'boot_success',
      thresholdSeconds: null,
      objective: 0.999,
      windowMs: 28 * DayMs,
      groupBy: ['ami_version', 'region'],
      tiers: defaultTiers(28 * DayMs),
      sparse: { z: 3, evidenceWindowMs: DayMs },
      source: 'slos.yaml:2',
    });
    expect(success!.tiers.map((t) => t.factor)).toEqual([13.44, 5.6, 2.8, 0.933333333333]);
    expect(ready).toMatchObject({ thresholdSeconds: 120, objective: 0.95, windowMs: 7 * DayMs });
    expect(ready!.tiers).toEqual([
      {
        severity: 'page',
        longWindowMs: 3_600_000,
        shortWindowMs: 300_000,
        budgetConsumed: 0.02,
        factor: 3.36,
      },
      {
        severity: 'ticket',
        longWindowMs: DayMs,
        shortWindowMs: 7_200_000,
        budgetConsumed: 0.1,
        factor: 0.7,
      },
    ]);
    expect(ready!.sparse).toEqual({ z: 2.5, evidenceWindowMs: DayMs / 2 });
    expect(coverage).toMatchObject({ sli: 'agent_coverage', groupBy: [], windowMs: 30 * DayMs });
  });

  it('rollout_success (M6): fleet-wide, 90 days unless written, validated like the others', () => {
    const file = `slos:\n  - name: rollouts\n    sli: rollout_success\n    objective: 99\n`;
    const [m6] = parseSloDocuments(file, 'slos.yaml');
    expect(m6).toMatchObject({
      sli: 'rollout_success',
      objective: 0.99,
      windowMs: 90 * DayMs,
      groupBy: [],
      tiers: defaultTiers(90 * DayMs),
    });
    expect(checkSloDocuments(`${file}    group_by: [ami_version]\n`, 'slos.yaml').problems).toEqual(
      [
        'slos.yaml:5: slos[0].group_by: rollout_success is measured fleet-wide (rollouts span groups and versions): expected [], got [ami_version]',
      ],
    );
    expect(checkSloDocuments(`${file}    threshold: 120s\n`, 'slos.yaml').problems).toEqual([
      'slos.yaml:5: slos[0].threshold: applies to time_to_ready only, not to rollout_success',
    ]);
  });

  it('are the built-in defaults when no file is given', () => {
    expect(loadSlos()).toEqual(defaultSlos());
    expect(loadSlos(null)).toEqual(defaultSlos());
    const [success, ready] = defaultSlos();
    expect(success).toMatchObject({
      sli: 'boot_success',
      objective: 0.999,
      windowMs: 30 * DayMs,
      groupBy: ['ami_version'],
    });
    expect(ready).toMatchObject({ sli: 'time_to_ready', thresholdSeconds: 120, objective: 0.95 });
    expect(success!.tiers.map((t) => t.factor)).toEqual([14.4, 6, 3, 1]);
    expect(validateSlos(defaultSlos())).toEqual([]);
  });

  it('are read from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-slo-'));
    try {
      const file = join(dir, 'slos.yaml');
      writeFileSync(file, Good);
      expect(loadSlos(file).map((s) => s.name)).toEqual([
        'boot-success',
        'time-to-ready',
        'coverage',
      ]);
      expect(() => loadSlos(join(dir, 'missing.yaml'))).toThrow(
        /missing\.yaml: cannot read the SLO file/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('name the file, the line and the field of each problem', () => {
    expect(problemsWith('objective: 99.9', 'objective: 120')).toEqual([
      'slos.yaml:5: slos[0].objective: expected a percentage between 0 and 100 (exclusive) such as 99.9, got 120',
    ]);
    expect(problemsWith('window: 28d', 'window: 4 weeks')).toEqual([
      'slos.yaml:6: slos[0].window: expected a duration such as 90s, 15m, 6h or 30d, got "4 weeks"',
    ]);
    expect(problemsWith('sli: boot_success', 'sli: boot_speed')).toEqual([
      'slos.yaml:4: slos[0].sli: expected one of boot_success, time_to_ready, agent_coverage, replacement_rate, rollout_success, got "boot_speed"',
    ]);
    expect(
      problemsWith('group_by: [ami_version, region]', 'group_by: [ami_version, colour]'),
    ).toEqual([
      'slos.yaml:7: slos[0].group_by[1]: expected one of ami_version, ami_id, region, asg, instance_type, got "colour"',
    ]);
    expect(
      problemsWith('    description: First boots become ready\n', '    descripton: x\n'),
    ).toEqual([
      'slos.yaml:3: slos[0].descripton: unknown field; expected one of name, description, sli, threshold, objective, window, group_by, alerting',
    ]);
    expect(problemsWith('  - name: coverage\n', '  - nom: coverage\n')).toEqual([
      'slos.yaml:18: slos[2].nom: unknown field; expected one of name, description, sli, threshold, objective, window, group_by, alerting',
      'slos.yaml:18: slos[2].name: required field is missing',
    ]);
    expect(problemsWith('sparse: { z: 2.5,', 'sparse: { z: 0,')).toEqual([
      'slos.yaml:17: slos[1].alerting.sparse.z: expected a number above 0 and at most 10 such as 3, got 0',
    ]);
    expect(problemsWith('evidence_window: 12h', 'evidence_window: 8d')).toEqual([
      'slos.yaml:17: slos[1].alerting.sparse.evidence_window: expected whole minutes, at most the SLO window (7d), got 8d',
    ]);
    expect(problemsWith('evidence_window: 12h', 'evidence_window: 90s')).toEqual([
      'slos.yaml:17: slos[1].alerting.sparse.evidence_window: expected whole minutes, at most the SLO window (7d), got 1m30s',
    ]);
  });

  it('check the rules that relate fields, on the model', () => {
    expect(problemsWith('threshold: 120s', 'threshold: 100s')).toEqual([
      'slos.yaml:10: slos[1].threshold: expected one of the histogram bounds (5s, 10s, 15s, 20s, 30s, 45s, 60s, 90s, 120s, 180s, 240s, 300s, 450s, 600s, 900s, 1800s) so that "ready within" is an exact count, got 100s',
    ]);
    expect(problemsWith('    threshold: 120s\n', '')).toEqual([
      'slos.yaml:9: slos[1].threshold: time_to_ready needs a threshold such as 120s',
    ]);
    expect(
      problemsWith('    sli: agent_coverage\n', '    sli: agent_coverage\n    threshold: 60s\n'),
    ).toEqual([
      'slos.yaml:20: slos[2].threshold: applies to time_to_ready only, not to agent_coverage',
    ]);
    expect(
      problemsWith('long_window: 1h, short_window: 5m', 'long_window: 1h, short_window: 2h'),
    ).toEqual([
      'slos.yaml:15: slos[1].alerting.tiers[0]: expected short_window (2h) shorter than long_window (1h)',
    ]);
    expect(
      problemsWith('long_window: 1d, short_window: 2h', 'long_window: 7d, short_window: 2h'),
    ).toEqual([
      'slos.yaml:16: slos[1].alerting.tiers[1]: expected long_window (7d) shorter than the SLO window (7d)',
    ]);
    expect(
      problemsWith('    objective: 99\n', '    objective: 99\n    group_by: [ami_version]\n'),
    ).toEqual([
      'slos.yaml:21: slos[2].group_by: agent_coverage is measured fleet-wide (instances running and heartbeating are not kept per group): expected [], got [ami_version]',
    ]);
    expect(problemsWith('name: coverage', 'name: boot-success')).toEqual([
      "slos.yaml:18: slos[2].name: 'boot-success' is already the name of the SLO at slos.yaml:2",
    ]);
    expect(problemsWith('name: coverage', 'name: Agent Coverage')).toEqual([
      "slos.yaml:18: slos[2].name: expected lowercase letters, digits, '-' or '_' (at most 63, starting with a letter or digit), got 'Agent Coverage'",
    ]);
  });

  it('report bad YAML and unknown documents, and throw BW_SLO_INVALID with every problem', () => {
    expect(checkSloDocuments('slos: [1\n', 'x.yaml').problems[0]).toMatch(
      /^x\.yaml:2: not valid YAML: /,
    );
    expect(checkSloDocuments('', 'x.yaml').problems).toEqual([
      'x.yaml: expected SLO definitions, got an empty file',
    ]);
    expect(checkSloDocuments('objectives: []\n', 'x.yaml').problems).toEqual([
      'x.yaml:1: expected `slos:` (bootwatch) or an OpenSLO v1 document (apiVersion: openslo/v1, kind: SLO)',
    ]);
    try {
      parseSloDocuments(
        Good.replace('objective: 99.9', 'objective: 0').replace('window: 7d', 'window: soon'),
        'f.yaml',
      );
      expect.unreachable();
    } catch (e) {
      expect(isBootwatchError(e, 'BW_SLO_INVALID')).toBe(true);
      expect((e as Error).message).toBe(
        'f.yaml: 2 problems:\n' +
          '  f.yaml:5: slos[0].objective: expected a percentage between 0 and 100 (exclusive) such as 99.9, got 0\n' +
          '  f.yaml:12: slos[1].window: expected a duration such as 90s, 15m, 6h or 30d, got "soon"',
      );
    }
  });
});
