// The scan policy section of the SLO file: read beside `slos:` or as a document of its own, the
// defaults for what is left out, and every problem with its file, line and field.
import { describe, expect, it } from 'vitest';
import { checkSloDocuments, parseSloFile } from '../../../shared/slo/load.js';
import { DefaultScanPolicy } from '../../../shared/slo/scan-policy.js';

const Slos = `slos:
  - name: boots
    sli: boot_success
    objective: 99.5
`;

const problems = (text: string) => checkSloDocuments(text, 'slos.yaml').problems;

describe('scan_policy', () => {
  it('is the default policy when the file has none', () => {
    expect(parseSloFile(Slos, 'slos.yaml').scanPolicy).toEqual(DefaultScanPolicy);
    expect(DefaultScanPolicy).toEqual({
      maxVulnerabilities: { critical: 0 },
      count: 'fixable',
      maxAgeMs: 7 * 86_400_000,
      allowUnscanned: false,
      source: 'built-in',
    });
  });

  it('is read beside slos:, what is left out keeping its default', () => {
    const file = `${Slos}scan_policy:\n  max_vulnerabilities: { critical: 0, high: 10 }\n  max_age: 3d\n`;
    const { slos, scanPolicy } = parseSloFile(file, 'slos.yaml');
    expect(slos.map((s) => s.name)).toEqual(['boots']);
    expect(scanPolicy).toEqual({
      maxVulnerabilities: { critical: 0, high: 10 },
      count: 'fixable',
      maxAgeMs: 3 * 86_400_000,
      allowUnscanned: false,
      source: 'slos.yaml:5',
    });
  });

  it('is read from a document of its own, which is no SLO document', () => {
    const file = `${Slos}---\nscan_policy:\n  count: all\n  allow_unscanned: true\n  max_vulnerabilities: {}\n`;
    expect(parseSloFile(file, 'slos.yaml').scanPolicy).toEqual({
      maxVulnerabilities: {},
      count: 'all',
      maxAgeMs: 7 * 86_400_000,
      allowUnscanned: true,
      source: 'slos.yaml:6',
    });
  });

  it('reports every problem with file, line and field', () => {
    const file =
      `${Slos}scan_policy:\n  max_vulnerabilities: { critical: -1, severe: 2, high: 1.5 }\n` +
      '  count: some\n  max_age: soon\n  allow_unscanned: yes please\n  colour: red\n';
    expect(problems(file)).toEqual([
      'slos.yaml:10: scan_policy.colour: unknown field; expected one of max_vulnerabilities, count, max_age, allow_unscanned',
      'slos.yaml:6: scan_policy.max_vulnerabilities.severe: unknown field; expected one of critical, high, medium, low, unknown',
      'slos.yaml:6: scan_policy.max_vulnerabilities.critical: expected a whole number of vulnerabilities, 0 or more, got -1',
      'slos.yaml:6: scan_policy.max_vulnerabilities.high: expected a whole number of vulnerabilities, 0 or more, got 1.5',
      'slos.yaml:7: scan_policy.count: expected one of fixable, all, got "some"',
      'slos.yaml:8: scan_policy.max_age: expected a duration such as 90s, 15m, 6h or 30d, got "soon"',
      'slos.yaml:9: scan_policy.allow_unscanned: expected true or false, got "yes please"',
    ]);
    expect(problems(`${Slos}scan_policy:\n  max_age: 0s\n`)).toEqual([
      'slos.yaml:6: scan_policy.max_age: expected a duration above 0 such as 7d, got 0',
    ]);
    expect(problems(`${Slos}scan_policy: strict\n`)).toEqual([
      'slos.yaml:5: scan_policy: expected a mapping of fields, got "strict"',
    ]);
  });

  it('is written once', () => {
    expect(
      problems(`${Slos}scan_policy: { count: all }\n---\nscan_policy: { count: fixable }\n`),
    ).toEqual(['slos.yaml:7: scan_policy: written a second time; the first is at slos.yaml:5']);
  });

  it('does not stand in for SLOs: a file of a policy alone still needs one', () => {
    expect(problems('scan_policy: { count: all }\n')).toEqual([
      'slos.yaml: expected at least one SLO, found none (OpenSLO documents need kind: SLO)',
    ]);
  });
});
