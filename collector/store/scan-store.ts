// The store's part for image scans (both engines: sqlite-scans.ts, pg-scans.ts). A scan is one
// row, written in one statement that also reads the AMI's version from the image registry, so a
// scan of an AMI nobody registered stores nothing.
import type { NewScan, StoredScan } from '../scans/image-scan.js';

export interface VersionRunning {
  amiVersion: string;
  running: number;
}

export interface ScanStore {
  /** Stores a scan under the version the registry gives its AMI; null (nothing stored) when the AMI is not registered. */
  record(scan: NewScan): Promise<StoredScan | null>;
  /** The latest scan of each AMI version (the newest scan time; on a tie, the later stored). */
  latest(): Promise<StoredScan[]>;
  /** One version's scans, latest first. */
  history(amiVersion: string, limit: number): Promise<StoredScan[]>;
  /**
   * Instances running (launched, not terminated) per AMI version, through the image registry;
   * an AMI the registry does not know counts under `unknown`.
   */
  runningByVersion(): Promise<VersionRunning[]>;
}
