// Scenario files: the built-in ones parse; a known-good scenario with one change per case gives
// the exact message an operator reads (file, field, what was expected, what was received).
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '../../simulator/scenario.js';
import { builtInScenarios, resolveScenario } from '../../simulator/scenario-files.js';
import { BootwatchError } from '../../shared/errors.js';

const Good = `
name: small
seed: 4
duration: 2d
start: 2026-11-01T00:00:00Z
fleet:
  regions:
    eu-west-1: [eu-west-1a, eu-west-1b]
  instance_types: { m7i.large: 2, c7i.large: 1 }
images:
  - version: '1.0'
    boot_time: { median: 60s, p95: 90s }
  - version: '2.0'
    boot_time: { median: 80s, p95: 200s }
    failures: { cloud_init_error: 0.1, probe_timeout: 0.05, no_report: 0.05 }
traffic:
  - name: base
    to: 1d
    per_hour: 4
    versions: { '1.0': 1 }
  - name: spike
    at: 30h
    burst: 20
    within: 10m
    versions: { '1.0': 1, '2.0': 1 }
`;

function problem(text: string): BootwatchError {
  try {
    parseScenario(text, 'small.yaml');
  } catch (e) {
    if (e instanceof BootwatchError) return e;
    throw e;
  }
  throw new Error('expected the scenario to be rejected');
}

const edit = (from: string, to: string) => {
  expect(Good).toContain(from);
  return Good.replace(from, to);
};

describe('parseScenario', () => {
  it('converts a good scenario to the model, with defaults filled in', () => {
    const s = parseScenario(Good, 'small.yaml');
    expect(s).toMatchObject({
      name: 'small',
      source: 'small.yaml',
      seed: 4,
      durationMs: 2 * 86_400_000,
      startMs: Date.parse('2026-11-01T00:00:00Z'),
      deadlineMs: 600_000,
      reportDeadlineMs: 900_000,
      fleet: {
        account: '123456789012',
        regions: [['eu-west-1', ['eu-west-1a', 'eu-west-1b']]],
        instanceTypes: [
          ['m7i.large', 2],
          ['c7i.large', 1],
        ],
      },
    });
    expect(s.images[0]).toEqual({
      version: '1.0',
      name: 'image-1.0',
      bootTime: { medianSeconds: 60, p95Seconds: 90 },
      failures: { cloud_init_error: 0, probe_timeout: 0, no_report: 0 },
    });
    expect(s.traffic).toEqual([
      {
        kind: 'steady',
        name: 'base',
        asg: 'small-asg',
        versions: [['1.0', 1]],
        fromMs: 0,
        toMs: 86_400_000,
        perHour: 4,
      },
      {
        kind: 'burst',
        name: 'spike',
        asg: 'small-asg',
        versions: [
          ['1.0', 1],
          ['2.0', 1],
        ],
        atMs: 30 * 3_600_000,
        count: 20,
        withinMs: 600_000,
      },
    ]);
  });

  it('every built-in scenario is valid', () => {
    const names = builtInScenarios();
    expect(names).toEqual(expect.arrayContaining(['demo', 'rollout', 'scale-out', 'steady']));
    for (const name of names) expect(loadScenario(resolveScenario(name)).name).toBe(name);
  });

  it.each([
    [
      'a traffic entry naming a version no image has',
      edit("versions: { '1.0': 1, '2.0': 1 }", "versions: { '1.0': 1, '3.0': 1 }"),
      "small.yaml: traffic[1].versions.3.0: expected a version of the images (1.0, 2.0), got '3.0'",
    ],
    [
      'a p95 below the median',
      edit('median: 80s, p95: 200s', 'median: 80s, p95: 70s'),
      "small.yaml: images[1].boot_time.p95: expected at least the median (80s), got '70s'",
    ],
    [
      'failure shares adding up to more than 1',
      edit(
        'cloud_init_error: 0.1, probe_timeout: 0.05',
        'cloud_init_error: 0.9, probe_timeout: 0.2',
      ),
      'small.yaml: images[1].failures: expected fractions that add up to at most 1, got 1.15',
    ],
    [
      'a misspelled duration',
      edit('duration: 2d', 'duration: 2 days'),
      "small.yaml: duration: expected a duration such as 90s, 15m, 6h or 30d, got '2 days'",
    ],
    [
      'steady traffic ending after the scenario',
      edit('to: 1d', 'to: 3d'),
      "small.yaml: traffic[0].to: expected a duration from 0s to 2d, got '3d'",
    ],
    [
      'a traffic entry that is both steady and a burst',
      edit('    burst: 20\n', '    burst: 20\n    per_hour: 3\n'),
      'small.yaml: traffic[1]: expected either per_hour (steady launches) or burst (a scale-out), got both\n' +
        'small.yaml: traffic[1].per_hour: a burst has at, burst and within; unexpected here',
    ],
    [
      'a burst without its start',
      edit('    at: 30h\n', ''),
      'small.yaml: traffic[1].at: expected a duration from the start, such as 6h, got nothing',
    ],
    [
      'a burst running past the end',
      edit('at: 30h', 'at: 47h55m'),
      "small.yaml: traffic[1].within: expected the burst to end within the scenario's duration (2d), got at 47h55m + 10m",
    ],
    [
      'an unknown field',
      edit('seed: 4', 'seed: 4\nspeed: 10'),
      'small.yaml: speed: unknown field; expected one of name, description, seed, duration, start, deadline, ' +
        'report_deadline, fleet, images, traffic, rollouts',
    ],
    [
      'a rollout of a version no image has',
      edit(
        'seed: 4',
        "seed: 4\nrollouts: [{ candidate: '3.0', baseline: '1.0', asg: web, at: 1h }]",
      ),
      "small.yaml: rollouts[0].candidate: expected a version of the images (1.0, 2.0), got '3.0'",
    ],
    [
      'two images with the same version',
      edit("version: '2.0'", "version: '1.0'"),
      "small.yaml: images[1].version: expected a version no other image has, got '1.0' (also images[0].version)\n" +
        "small.yaml: traffic[1].versions.2.0: expected a version of the images (1.0), got '2.0'",
    ],
    [
      'a zone of another region',
      edit('[eu-west-1a, eu-west-1b]', '[eu-west-1a, us-east-1b]'),
      "small.yaml: fleet.regions.eu-west-1[1]: expected a zone of eu-west-1 such as eu-west-1a, got 'us-east-1b'",
    ],
    [
      'a report deadline shorter than the agents’ deadline',
      edit('seed: 4', 'seed: 4\nreport_deadline: 5m'),
      "small.yaml: report_deadline: expected more than the agents' deadline (600s): agents report up to their deadline, got '5m'",
    ],
    [
      'a start that is not RFC 3339',
      edit('start: 2026-11-01T00:00:00Z', 'start: yesterday'),
      "small.yaml: start: expected an RFC 3339 time such as 2026-11-01T00:00:00Z, got 'yesterday'",
    ],
    [
      'too many launches',
      edit('per_hour: 4', 'per_hour: 5000'),
      'small.yaml: traffic: expected at most 50000 launches in all, got about 120020',
    ],
    [
      'a version written as a number',
      edit("version: '2.0'", 'version: 2.5'),
      'small.yaml: images[1].version: expected a version string, got 2.5',
    ],
  ])('rejects %s', (_case, text, message) => {
    const e = problem(text);
    expect(e.code).toBe('BW_CONFIG_INVALID');
    expect(e.message).toBe(message);
  });

  it('reports YAML syntax errors with their position', () => {
    const e = problem('name: x\nimages: [\n');
    expect(e.code).toBe('BW_CONFIG_FILE');
    expect(e.message).toMatch(/^small\.yaml: not valid YAML at line \d+, column \d+: /);
  });

  it('a document that is not a mapping', () => {
    const e = problem('- just\n- a list\n');
    expect(e.message).toBe(
      'small.yaml: expected a mapping with name, duration, images and traffic, got a list of 2 items',
    );
  });

  it('an unknown built-in scenario names the ones there are', () => {
    expect(() => resolveScenario('rolout')).toThrow(
      /^--scenario: expected a file or a built-in scenario \(demo, rollout, scale-out, steady\), got 'rolout'$/,
    );
  });
});
