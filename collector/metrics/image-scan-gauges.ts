// The image scan gauges on /metrics, read from the store at scrape time (one read per scrape,
// shared by the four):
//   bootwatch_image_vulnerabilities{ami_version,severity,fixable}  the latest scan of each version:
//       fixable="true" those with a fixed version, "false" the rest (their sum is the total)
//   bootwatch_image_scan_timestamp_seconds{ami_version}            when that scan was made
//   bootwatch_image_instances_running{ami_version}                 instances running per version
//   bootwatch_image_replaces_info{ami_version,replaced_version}    1 for the newest version
// The generated rules compare a new version with the one it replaces, and the fleet's main version
// with the scan policy's max_age (alerts/scan-rules.ts).
//
// Label bounds as everywhere: at most `cap` versions keep their name, the rest (and `unknown`)
// fold into `other`, counts summed. Which versions keep it, in this order until `cap`: the one
// running most instances, the newest and the one it replaces (the rules need all three by name),
// then the most recently scanned, then the most running. Example, cap 3, scans of 1.0 (Monday),
// 1.1 (Tuesday), 1.2 (Wednesday, newest), most instances on 1.0: 1.0, 1.2, 1.1 keep their names;
// with cap 2, 1.1 folds into other.
import type { Registry } from 'prom-client';
import {
  OtherLabelValue,
  PromLabel,
  PromMetric,
  UnknownVersion,
  VulnerabilitySeverities,
} from '../../shared/conventions.js';
import type { ImageRecord } from '../model.js';
import type { StoredScan } from '../scans/image-scan.js';
import { newestVersion } from '../scans/version-order.js';
import type { VersionRunning } from '../store/scan-store.js';
import type { Store } from '../store/store.js';
import { registerStoreSeries, type Sample, type StoreSeries } from './store-gauges.js';

interface ScanState {
  latest: StoredScan[];
  running: VersionRunning[];
  images: ImageRecord[];
}

/** The versions that keep their name on /metrics (see above). */
export function keptVersions(state: ScanState, cap: number): Set<string> {
  const byRunning = [...state.running].sort((a, b) => b.running - a.running);
  const byScan = [...state.latest].sort((a, b) => b.scannedAtMs - a.scannedAtMs);
  const newest = newestVersion(state.images);
  const ranked = [
    byRunning[0]?.amiVersion,
    newest?.version,
    newest?.replaces ?? undefined,
    ...byScan.map((s) => s.amiVersion),
    ...byRunning.map((r) => r.amiVersion),
  ];
  const kept = new Set<string>();
  for (const v of ranked) {
    if (kept.size >= cap) break;
    if (v !== undefined && v !== UnknownVersion && v !== OtherLabelValue) kept.add(v);
  }
  return kept;
}

/** The samples of each gauge, by metric name. Pure, for the registry and for tests. */
export function imageScanSamples(state: ScanState, cap: number): Record<string, Sample[]> {
  const kept = keptVersions(state, cap);
  const label = (v: string) => (kept.has(v) ? v : OtherLabelValue);

  const vulnerabilities = new Map<string, number>();
  const add = (version: string, severity: string, fixable: boolean, n: number) => {
    const key = JSON.stringify([label(version), severity, fixable]);
    vulnerabilities.set(key, (vulnerabilities.get(key) ?? 0) + n);
  };
  const timestamps: Sample[] = [];
  for (const scan of state.latest) {
    for (const severity of VulnerabilitySeverities) {
      const { total, fixable } = scan.summary.bySeverity[severity];
      add(scan.amiVersion, severity, true, fixable);
      add(scan.amiVersion, severity, false, total - fixable);
    }
    // A time is one version's: `other` has none.
    if (kept.has(scan.amiVersion)) {
      timestamps.push({
        labels: { [PromLabel.amiVersion]: scan.amiVersion },
        value: scan.scannedAtMs / 1000,
      });
    }
  }
  const running = new Map<string, number>();
  for (const r of state.running) {
    running.set(label(r.amiVersion), (running.get(label(r.amiVersion)) ?? 0) + r.running);
  }
  const newest = newestVersion(state.images);
  const replaces =
    newest?.replaces && kept.has(newest.version) && kept.has(newest.replaces)
      ? [
          {
            labels: {
              [PromLabel.amiVersion]: newest.version,
              [PromLabel.replacedVersion]: newest.replaces,
            },
            value: 1,
          },
        ]
      : [];
  return {
    [PromMetric.imageVulnerabilities]: [...vulnerabilities].map(([key, value]) => {
      const [version, severity, fixable] = JSON.parse(key) as [string, string, boolean];
      return {
        labels: {
          [PromLabel.amiVersion]: version,
          [PromLabel.severity]: severity,
          [PromLabel.fixable]: String(fixable),
        },
        value,
      };
    }),
    [PromMetric.imageScanTimestamp]: timestamps,
    [PromMetric.imageInstancesRunning]: [...running].map(([version, value]) => ({
      labels: { [PromLabel.amiVersion]: version },
      value,
    })),
    [PromMetric.imageReplaces]: replaces,
  };
}

const Series: Record<string, StoreSeries> = {
  [PromMetric.imageVulnerabilities]: {
    type: 'gauge',
    help:
      'Vulnerabilities in the latest scan of each AMI version (Trivy or Grype report), distinct ' +
      'per id and package, by severity; fixable="true" those with a fixed version.',
  },
  [PromMetric.imageScanTimestamp]: {
    type: 'gauge',
    help: 'When the latest scan of each AMI version was made (the report time, else when it arrived).',
  },
  [PromMetric.imageInstancesRunning]: {
    type: 'gauge',
    help: 'Instances launched and not terminated, per AMI version through the image registry.',
  },
  [PromMetric.imageReplaces]: {
    type: 'gauge',
    help: '1 for the newest registered AMI version, labelled with the version registered before it.',
  },
};

/** Registers the four gauges on `registry` (store-gauges.ts: one read per scrape). */
export function registerImageScanGauges(
  registry: Registry,
  store: Pick<Store, 'scans' | 'listImages'>,
  labelCap: number,
  onError: (e: unknown) => void = () => undefined,
): void {
  const read = async () => {
    const [latest, running, images] = await Promise.all([
      store.scans.latest(),
      store.scans.runningByVersion(),
      store.listImages(),
    ]);
    return imageScanSamples({ latest, running, images }, labelCap);
  };
  const initial = imageScanSamples({ latest: [], running: [], images: [] }, 1);
  registerStoreSeries(registry, Series, read, initial, onError);
}
