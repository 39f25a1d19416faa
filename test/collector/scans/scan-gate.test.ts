// The scan gate over a policy and a version's latest scan: pass, fail or no_scan, with the figures,
// the thresholds and one reason per finding.
import { describe, expect, it } from 'vitest';
import type { StoredScan } from '../../../collector/scans/image-scan.js';
import { ageText, evaluateScanGate } from '../../../collector/scans/scan-gate.js';
import { emptyCounts } from '../../../collector/scans/scan-summary.js';
import { newestVersion, versionsInOrder } from '../../../collector/scans/version-order.js';
import type { ImageRecord } from '../../../collector/model.js';
import { DefaultScanPolicy, type ScanPolicy } from '../../../shared/slo/scan-policy.js';

const Now = Date.parse('2026-11-20T12:00:00Z');
const HourMs = 3_600_000;
const DayMs = 24 * HourMs;

function scan(
  ageMs: number,
  critical: [number, number],
  high: [number, number] = [0, 0],
): StoredScan {
  const bySeverity = emptyCounts();
  bySeverity.critical = { total: critical[0], fixable: critical[1] };
  bySeverity.high = { total: high[0], fixable: high[1] };
  return {
    scanId: 7,
    amiId: 'ami-0abc1234def567890',
    amiVersion: '2026.11.3',
    scanner: 'trivy',
    scannerVersion: '0.58.1',
    artifactName: 'ami:ami-0abc1234def567890',
    artifactType: 'vm',
    scannedAtMs: Now - ageMs,
    timeFromReport: true,
    receivedAtMs: Now - ageMs,
    summary: { findings: 0, distinct: 0, bySeverity, criticalIds: [] },
  };
}

const policy = (over: Partial<ScanPolicy> = {}): ScanPolicy => ({ ...DefaultScanPolicy, ...over });

describe('evaluateScanGate', () => {
  it('passes a current scan within the limits, showing each figure against its limit', () => {
    const r = evaluateScanGate(policy(), scan(2 * DayMs, [3, 0]), Now);
    expect(r).toEqual({
      decision: 'pass',
      reasons: ['0 fixable critical vulnerabilities (at most 0); scan 2d old'],
      policy: {
        maxVulnerabilities: { critical: 0 },
        count: 'fixable',
        maxAge: '7d',
        allowUnscanned: false,
      },
      scan: {
        scanId: 7,
        amiId: 'ami-0abc1234def567890',
        scanner: 'trivy',
        scannedAt: '2026-11-18T12:00:00.000Z',
        ageSeconds: 2 * 86_400,
        current: true,
      },
      checks: [{ severity: 'critical', count: 0, max: 0, ok: true }],
    });
  });

  it('fails a limit exceeded, one reason a limit, counting all when the policy says all', () => {
    const strict = policy({ maxVulnerabilities: { critical: 0, high: 2 }, count: 'all' });
    const r = evaluateScanGate(strict, scan(HourMs, [3, 1], [2, 2]), Now);
    expect(r.decision).toBe('fail');
    expect(r.reasons).toEqual(['3 critical vulnerabilities, more than the 0 allowed']);
    expect(r.checks).toEqual([
      { severity: 'critical', count: 3, max: 0, ok: false },
      { severity: 'high', count: 2, max: 2, ok: true },
    ]);
    expect(evaluateScanGate(policy(), scan(HourMs, [3, 1]), Now).reasons).toEqual([
      '1 fixable critical vulnerability, more than the 0 allowed',
    ]);
  });

  it('wants a current scan: none, or one older than max_age, is no_scan', () => {
    const none = evaluateScanGate(policy(), null, Now);
    expect(none).toMatchObject({ decision: 'no_scan', scan: null, checks: [] });
    expect(none.reasons[0]).toMatch(/^not scanned: run a scanner/);
    const stale = evaluateScanGate(policy(), scan(8 * DayMs, [3, 1]), Now);
    expect(stale.decision).toBe('no_scan');
    expect(stale.reasons).toEqual([
      'the latest scan is 8d old, more than the 7d max_age: scan again',
      '1 fixable critical vulnerability, more than the 0 allowed',
    ]);
    expect(stale.scan?.current).toBe(false);
    // Exactly max_age old is still current.
    expect(evaluateScanGate(policy(), scan(7 * DayMs, [0, 0]), Now).decision).toBe('pass');
  });

  it('lets unscanned versions through only where the policy allows, still judging a stale scan', () => {
    const lax = policy({ allowUnscanned: true });
    expect(evaluateScanGate(lax, null, Now)).toMatchObject({
      decision: 'pass',
      reasons: ['not scanned; the policy allows unscanned versions (allow_unscanned: true)'],
    });
    const staleBad = evaluateScanGate(lax, scan(30 * DayMs, [1, 1]), Now);
    expect(staleBad.decision).toBe('fail');
    expect(staleBad.reasons).toEqual([
      '1 fixable critical vulnerability, more than the 0 allowed',
      'the latest scan is 30d old, more than the 7d max_age; the policy allows it (allow_unscanned: true)',
    ]);
  });

  it('passes any current scan when the policy sets no limit', () => {
    const r = evaluateScanGate(policy({ maxVulnerabilities: {} }), scan(0, [9, 9]), Now);
    expect(r).toMatchObject({
      decision: 'pass',
      reasons: ['no limits in the policy; scan 0m old'],
    });
  });

  it('writes ages as people say them', () => {
    expect([0, 59 * 60_000, HourMs, 47 * HourMs, 48 * HourMs, 9.9 * DayMs].map(ageText)).toEqual([
      '0m',
      '59m',
      '1h',
      '47h',
      '2d',
      '9d',
    ]);
  });
});

describe('version order', () => {
  const image = (
    version: string,
    registeredAtMs: number,
    amiId = `ami-${version}`,
  ): ImageRecord => ({
    amiId,
    region: null,
    name: null,
    version,
    build: {},
    source: 'registry',
    registeredAtMs,
  });

  it('orders versions by their first registration; the newest replaces the one before', () => {
    const images = [
      image('2.0', 300),
      image('1.9', 100),
      image('1.9', 400, 'ami-other-region'),
      image('unknown', 900),
      image('1.10', 200),
      image('1.11', 200),
    ];
    expect(versionsInOrder(images)).toEqual(['1.9', '1.10', '1.11', '2.0']);
    expect(newestVersion(images)).toEqual({ version: '2.0', replaces: '1.11' });
    expect(newestVersion([image('1.0', 1)])).toEqual({ version: '1.0', replaces: null });
    expect(newestVersion([])).toBeNull();
  });
});
