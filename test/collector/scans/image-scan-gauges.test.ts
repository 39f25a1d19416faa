// The image scan gauges' samples: the latest scan of each version split by fixable, the versions
// past the label cap folded into `other` (counts summed), and the three versions the rules need
// by name kept first.
import { describe, expect, it } from 'vitest';
import { imageScanSamples, keptVersions } from '../../../collector/metrics/image-scan-gauges.js';
import type { ImageRecord } from '../../../collector/model.js';
import type { StoredScan } from '../../../collector/scans/image-scan.js';
import { emptyCounts } from '../../../collector/scans/scan-summary.js';

const Day = 86_400_000;

function scan(amiVersion: string, day: number, critical: [number, number]): StoredScan {
  const bySeverity = emptyCounts();
  bySeverity.critical = { total: critical[0], fixable: critical[1] };
  return {
    scanId: day,
    amiId: `ami-${amiVersion}`,
    amiVersion,
    scanner: 'grype',
    scannerVersion: null,
    artifactName: null,
    artifactType: null,
    scannedAtMs: day * Day,
    timeFromReport: true,
    receivedAtMs: day * Day,
    summary: { findings: 0, distinct: 0, bySeverity, criticalIds: [] },
  };
}

const image = (version: string, day: number): ImageRecord => ({
  amiId: `ami-${version}`,
  region: null,
  name: null,
  version,
  build: {},
  source: 'registry',
  registeredAtMs: day * Day,
});

// 1.0 runs the fleet; 1.2 is the newest, replacing 1.1; 0.9 was scanned last of all.
const state = {
  latest: [
    scan('1.0', 1, [2, 1]),
    scan('1.1', 2, [1, 1]),
    scan('1.2', 3, [4, 3]),
    scan('0.9', 5, [1, 0]),
  ],
  running: [
    { amiVersion: '1.0', running: 90 },
    { amiVersion: '1.2', running: 5 },
    { amiVersion: 'unknown', running: 2 },
  ],
  images: [image('0.9', 0), image('1.0', 1), image('1.1', 2), image('1.2', 3)],
};

const critical = (samples: ReturnType<typeof imageScanSamples>) =>
  samples
    .bootwatch_image_vulnerabilities!.filter((s) => s.labels.severity === 'critical')
    .map((s) => `${s.labels.ami_version} ${s.labels.fixable} ${s.value}`)
    .sort();

describe('image scan gauges', () => {
  it('keeps the main, the newest and the replaced version first, then the latest scanned', () => {
    expect([...keptVersions(state, 3)]).toEqual(['1.0', '1.2', '1.1']);
    expect([...keptVersions(state, 4)]).toEqual(['1.0', '1.2', '1.1', '0.9']);
    expect([...keptVersions(state, 1)]).toEqual(['1.0']);
  });

  it('exports every version under the cap by name, fixable and not', () => {
    const samples = imageScanSamples(state, 10);
    expect(critical(samples)).toEqual([
      '0.9 false 1',
      '0.9 true 0',
      '1.0 false 1',
      '1.0 true 1',
      '1.1 false 0',
      '1.1 true 1',
      '1.2 false 1',
      '1.2 true 3',
    ]);
    expect(samples.bootwatch_image_instances_running).toEqual([
      { labels: { ami_version: '1.0' }, value: 90 },
      { labels: { ami_version: '1.2' }, value: 5 },
      { labels: { ami_version: 'other' }, value: 2 },
    ]);
    expect(samples.bootwatch_image_replaces_info).toEqual([
      { labels: { ami_version: '1.2', replaced_version: '1.1' }, value: 1 },
    ]);
    expect(samples.bootwatch_image_scan_timestamp_seconds).toContainEqual({
      labels: { ami_version: '1.2' },
      value: 3 * 86_400,
    });
  });

  it('folds the versions past the cap into other, counts summed, with no scan time', () => {
    const samples = imageScanSamples(state, 2);
    expect(critical(samples)).toEqual([
      '1.0 false 1',
      '1.0 true 1',
      '1.2 false 1',
      '1.2 true 3',
      'other false 1',
      'other true 1',
    ]);
    expect(
      samples.bootwatch_image_scan_timestamp_seconds!.map((s) => s.labels.ami_version),
    ).toEqual(['1.0', '1.2']);
    // The replaced version is folded: the rule could not compare by name.
    expect(samples.bootwatch_image_replaces_info).toEqual([]);
  });
});
