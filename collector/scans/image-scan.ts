// A scan as bootwatch stores and serves it: one scanner's report of one AMI, reduced to its counts
// (scan-summary.ts), with the AMI version the image registry gave that AMI when it arrived.
import type { ScanReport, Scanner } from './report-reader.js';
import type { ScanSummary } from './scan-summary.js';

export interface StoredScan {
  /** Increasing with each scan stored: the later of two scans with the same time. */
  scanId: number;
  amiId: string;
  amiVersion: string;
  scanner: Scanner;
  scannerVersion: string | null;
  artifactName: string | null;
  artifactType: string | null;
  /** When the scan was made: the report's own time, or when it arrived if it has none. */
  scannedAtMs: number;
  /** False when scannedAtMs is the time the report arrived (Grype's timestamp is often ""). */
  timeFromReport: boolean;
  receivedAtMs: number;
  summary: ScanSummary;
}

/** What the store is handed: everything but the id and the version, which it assigns. */
export type NewScan = Omit<StoredScan, 'scanId' | 'amiVersion'>;

export function newScan(amiId: string, report: ScanReport, receivedAtMs: number): NewScan {
  return {
    amiId,
    scanner: report.scanner,
    scannerVersion: report.scannerVersion,
    artifactName: report.artifactName,
    artifactType: report.artifactType,
    scannedAtMs: report.createdAtMs ?? receivedAtMs,
    timeFromReport: report.createdAtMs !== null,
    receivedAtMs,
    summary: report.summary,
  };
}

/** A scan as the JSON API shows it: times in RFC 3339. */
export function scanView(scan: StoredScan) {
  const { scannedAtMs, receivedAtMs, ...rest } = scan;
  return {
    ...rest,
    scannedAt: new Date(scannedAtMs).toISOString(),
    receivedAt: new Date(receivedAtMs).toISOString(),
  };
}

export type ScanView = ReturnType<typeof scanView>;

const AmiIdIn = /\bami-(?:[0-9a-f]{17}|[0-9a-f]{8})\b/g;

/**
 * The AMI ids a report names as what it scanned (`trivy vm ami:ami-0abc...` writes
 * `ami:ami-0abc...` as its ArtifactName); empty when it names none (a scan of a mounted snapshot
 * or of a disk image file).
 */
export function reportAmiIds(report: Pick<ScanReport, 'artifactName'>): string[] {
  return [...new Set(report.artifactName?.match(AmiIdIn) ?? [])];
}
