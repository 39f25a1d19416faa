// The scan benchmark's report: a Trivy report of the size asked for, from the real entries, every
// entry a distinct vulnerability the reader counts.
import { describe, expect, it } from 'vitest';
import { trivyReport } from '../../bench/scan-bench.js';
import { readScanReport } from '../../collector/scans/report-reader.js';

describe('trivyReport', () => {
  it('is a Trivy vm report of about the size asked for, every entry counted', () => {
    const { text, entries } = trivyReport(300_000);
    expect(Buffer.byteLength(text)).toBeGreaterThan(290_000);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(300_000);
    const report = readScanReport(Buffer.from(text));
    expect(report).toMatchObject({ scanner: 'trivy', artifactType: 'vm' });
    expect(report.summary).toMatchObject({ findings: entries, distinct: entries });
  });
});
