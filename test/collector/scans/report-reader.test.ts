// Scanner reports read as they stream in: the real reports of test/fixtures/real/scans/ (the
// scanners' own golden outputs, SOURCES.md) give the counts a person counts in them by hand, fed
// whole or byte by byte; duplicates across targets count once; what is not a report is refused.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readScanReport, ScanReportReader } from '../../../collector/scans/report-reader.js';
import {
  emptyCounts,
  MaxCriticalIds,
  normalizeSeverity,
  type SeverityCounts,
} from '../../../collector/scans/scan-summary.js';
import { isBootwatchError } from '../../../shared/errors.js';

const dir = new URL('../../fixtures/real/scans/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, dir));

function counts(over: Partial<Record<keyof SeverityCounts, [number, number]>>): SeverityCounts {
  const c = emptyCounts();
  for (const [s, [total, fixable]] of Object.entries(over)) {
    c[s as keyof SeverityCounts] = { total, fixable };
  }
  return c;
}

/**
 * Counted by hand, each checked with jq over the file:
 *   Trivy: jq '[.Results[].Vulnerabilities[]? | {sev: .Severity, fix: ((.FixedVersion // "") != "")}]
 *          | group_by(.sev) | map({sev: .[0].sev, n: length, fixable: map(select(.fix)) | length})'
 *   Grype: the same over .matches[] with .vulnerability.severity and .vulnerability.fix.state == "fixed"
 */
const HandCounts = {
  // curl: CVE-2019-5481 MEDIUM (fixed in 7.61.1-12), CVE-2019-5436 LOW (fixed in 7.61.1-11).
  'trivy-amazon-2.json': {
    scanner: 'trivy',
    scannerVersion: 'dev',
    createdAtMs: Date.UTC(2021, 7, 25, 12, 20, 30),
    artifactName: 'testdata/fixtures/images/amazon-2.tar.gz',
    artifactType: 'container_image',
    summary: {
      findings: 2,
      distinct: 2,
      bySeverity: counts({ medium: [1, 1], low: [1, 1] }),
      criticalIds: [],
    },
  },
  // A `trivy vm` report: bind-export-libs CVE-2022-38177 MEDIUM, Status fixed.
  'trivy-amazonlinux2-gp2-x86-vm.json': {
    scanner: 'trivy',
    scannerVersion: 'dev',
    createdAtMs: Date.UTC(2021, 7, 25, 12, 20, 30),
    artifactName: 'disk.img',
    artifactType: 'vm',
    summary: {
      findings: 1,
      distinct: 1,
      bySeverity: counts({ medium: [1, 1] }),
      criticalIds: [],
    },
  },
  // bash CVE-2019-18276 LOW will_not_fix (no FixedVersion), openssl-libs CVE-2019-1559 MEDIUM
  // fixed, openssl-libs CVE-2018-0734 LOW fixed.
  'trivy-centos-7.json': {
    scanner: 'trivy',
    scannerVersion: 'dev',
    createdAtMs: Date.UTC(2021, 7, 25, 12, 20, 30),
    artifactName: 'testdata/fixtures/images/centos-7.tar.gz',
    artifactType: 'container_image',
    summary: {
      findings: 3,
      distinct: 3,
      bySeverity: counts({ medium: [1, 1], low: [2, 1] }),
      criticalIds: [],
    },
  },
  // package-1 CVE-1999-0001 "Low", fix.state "fixed"; package-2 CVE-1999-0002 "Critical",
  // fix.state "". descriptor.timestamp is "": the report has no time.
  'grype-image.json': {
    scanner: 'grype',
    scannerVersion: '[not provided]',
    createdAtMs: null,
    artifactName: 'user-input',
    artifactType: 'image',
    summary: {
      findings: 2,
      distinct: 2,
      bySeverity: counts({ critical: [1, 0], low: [1, 1] }),
      criticalIds: ['CVE-1999-0002'],
    },
  },
  'grype-empty.json': {
    scanner: 'grype',
    scannerVersion: '[not provided]',
    createdAtMs: null,
    artifactName: 'unknown',
    artifactType: 'unknown',
    summary: { findings: 0, distinct: 0, bySeverity: counts({}), criticalIds: [] },
  },
} as const;

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isBootwatchError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('no error');
}

describe('real scanner reports', () => {
  it('covers every report of the fixture folder', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(Object.keys(HandCounts).sort());
  });

  it.each(Object.entries(HandCounts))('%s gives the hand counts', (name, expected) => {
    expect(readScanReport(fixture(name))).toEqual(expected);
  });

  it.each(Object.keys(HandCounts))('%s read one byte at a time gives the same', (name) => {
    const bytes = fixture(name);
    const reader = new ScanReportReader();
    for (let i = 0; i < bytes.length; i += 1) reader.write(bytes.subarray(i, i + 1));
    expect(reader.end()).toEqual(readScanReport(bytes));
  });
});

describe('counting', () => {
  it('counts a vulnerability listed under several targets once, with its worst severity', () => {
    const vuln = (id: string, pkg: string, severity: string, fixed?: string) => ({
      VulnerabilityID: id,
      PkgName: pkg,
      Severity: severity,
      ...(fixed ? { FixedVersion: fixed, Status: 'fixed' } : { Status: 'affected' }),
    });
    const report = {
      SchemaVersion: 2,
      Results: [
        { Target: 'os', Vulnerabilities: [vuln('CVE-1', 'openssl', 'HIGH', '3.0.8')] },
        { Target: 'app/lock', Class: 'lang-pkgs' },
        {
          Target: 'jar',
          Vulnerabilities: [
            vuln('CVE-1', 'openssl', 'HIGH', '3.0.8'),
            vuln('CVE-1', 'curl', 'LOW'),
            vuln('CVE-2', 'curl', 'UNKNOWN'),
            vuln('CVE-2', 'curl', 'MEDIUM'),
          ],
        },
      ],
    };
    const r = readScanReport(Buffer.from(JSON.stringify(report)));
    expect(r.createdAtMs).toBeNull();
    expect(r.summary).toEqual({
      findings: 5,
      distinct: 3,
      bySeverity: counts({ high: [1, 1], medium: [1, 0], low: [1, 0] }),
      criticalIds: [],
    });
  });

  it('takes a fix from any listing of the pair, and Status fixed without FixedVersion', () => {
    const report = {
      SchemaVersion: 2,
      Results: [
        {
          Vulnerabilities: [
            { VulnerabilityID: 'CVE-9', PkgName: 'zlib', Severity: 'CRITICAL' },
            { VulnerabilityID: 'CVE-9', PkgName: 'zlib', Severity: 'CRITICAL', Status: 'fixed' },
          ],
        },
      ],
    };
    expect(readScanReport(Buffer.from(JSON.stringify(report))).summary.bySeverity.critical).toEqual(
      { total: 1, fixable: 1 },
    );
  });

  it('keeps at most MaxCriticalIds critical ids, sorted, and every critical counted', () => {
    const matches = Array.from({ length: MaxCriticalIds + 20 }, (_, i) => ({
      vulnerability: {
        id: `CVE-2025-${String(9999 - i)}`,
        severity: 'Critical',
        fix: { state: 'not-fixed' },
      },
      artifact: { name: 'pkg', version: '1' },
    }));
    const r = readScanReport(Buffer.from(JSON.stringify({ matches })));
    expect(r.summary.bySeverity.critical).toEqual({ total: MaxCriticalIds + 20, fixable: 0 });
    expect(r.summary.criticalIds).toHaveLength(MaxCriticalIds);
    expect(r.summary.criticalIds[0]).toBe('CVE-2025-9880');
  });

  it('normalises severities as both scanners write them', () => {
    expect(
      [
        'CRITICAL',
        'Critical',
        'high',
        ' Medium ',
        'Negligible',
        'LOW',
        'Unknown',
        '',
        'severe',
        3,
      ].map(normalizeSeverity),
    ).toEqual([
      'critical',
      'critical',
      'high',
      'medium',
      'low',
      'low',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ]);
  });
});

describe('what is not a report', () => {
  const read = (text: string) => () => readScanReport(Buffer.from(text));

  it('refuses truncated JSON, naming the bytes received', () => {
    const whole = fixture('trivy-centos-7.json');
    expect(code(() => readScanReport(whole.subarray(0, 5000)))).toMatch(
      /^BW_SCAN_JSON: the JSON ends after 5000 bytes /,
    );
    expect(code(() => readScanReport(whole.subarray(0, 5000)))).toMatch(/in the middle of a value/);
    expect(code(() => readScanReport(whole.subarray(0, whole.indexOf('"Results"'))))).toMatch(
      /still open: the report is truncated; send the whole file$/,
    );
    expect(code(read(''))).toBe(
      'BW_SCAN_JSON: the body is empty; expected the JSON report of a scanner',
    );
  });

  it('refuses what is not JSON', () => {
    expect(code(read('{"SchemaVersion": 2, "Results": [tru]}'))).toMatch(
      /^BW_SCAN_JSON: the body is not valid JSON .*Unexpected/,
    );
    expect(code(read('{"matches": []} {"matches": []}'))).toMatch(/^BW_SCAN_JSON: /);
  });

  it('refuses JSON of neither format, saying what it got', () => {
    expect(code(read('{"bomFormat": "CycloneDX", "components": []}'))).toBe(
      'BW_SCAN_FORMAT: expected a Trivy JSON report (SchemaVersion 2, Results) or a Grype JSON ' +
        'report (matches), got an object with the keys bomFormat, components',
    );
    expect(code(read('[{"VulnerabilityID": "CVE-1"}]'))).toMatch(
      /^BW_SCAN_FORMAT: the body is a JSON array/,
    );
    expect(code(read('42'))).toMatch(/^BW_SCAN_FORMAT: the body is the JSON value 42/);
    expect(code(read('{"SchemaVersion": 1, "Results": []}'))).toMatch(
      /^BW_SCAN_FORMAT: a Trivy report of SchemaVersion 1: expected SchemaVersion 2/,
    );
    expect(code(read('{"SchemaVersion": 2, "matches": []}'))).toMatch(/^BW_SCAN_FORMAT: .*both/);
  });

  it('names an entry that misses what the counts need', () => {
    expect(
      code(read('{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"PkgName": "curl"}]}]}')),
    ).toBe(
      'BW_SCAN_FORMAT: Results[0].Vulnerabilities[0].VulnerabilityID: expected text, got nothing',
    );
    expect(code(read('{"matches": [{"vulnerability": {"id": "CVE-1"}, "artifact": {}}]}'))).toBe(
      'BW_SCAN_FORMAT: matches[0].artifact.name: expected text, got nothing',
    );
  });
});
