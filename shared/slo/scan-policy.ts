// The scan policy: what a vulnerability scan of an AMI version must show before the version may
// be promoted (collector/scans/scan-gate.ts), and how old the latest scan may get before the fleet
// is overdue a rescan (the generated BootwatchScanOverdue ticket). A top-level section of the SLO
// file, beside `slos:` or in a YAML document of its own:
//
//   scan_policy:
//     max_vulnerabilities: { critical: 0, high: 10 }   # severities not listed have no limit
//     count: fixable                                   # fixable (has a fixed version) | all
//     max_age: 7d                                      # older scans are no current scan
//     allow_unscanned: false                           # may a version without one be promoted?
//
// Fields left out keep the defaults below; `max_vulnerabilities`, when written, replaces the
// default map whole (so that a limit can be lifted by leaving its severity out).
import { isScalar, type YAMLMap } from 'yaml';
import { VulnerabilitySeverities, type VulnerabilitySeverity } from '../conventions.js';
import type { Field, SpecReader } from './yaml-reader.js';

export const ScanCounts = ['fixable', 'all'] as const;
export type ScanCount = (typeof ScanCounts)[number];

export interface ScanPolicy {
  /** The most vulnerabilities a scan may show, per severity; a severity absent has no limit. */
  maxVulnerabilities: Partial<Record<VulnerabilitySeverity, number>>;
  /** Which vulnerabilities count against the limits: those with a fixed version, or all. */
  count: ScanCount;
  /** A scan whose report is older than this, ms, is no current scan. */
  maxAgeMs: number;
  /** Whether a version without a current scan passes the gate. */
  allowUnscanned: boolean;
  /** Where it came from, for messages: file and line, or 'built-in'. */
  source: string;
}

const DayMs = 86_400_000;

/**
 * No fixable critical vulnerability, a scan at most a week old, no promotion without one. Fixable
 * only: a limit on what no rebake can fix would hold every version alike. A week: new CVEs are
 * published every day, and a weekly rescan is the common patch cadence.
 */
export const DefaultScanPolicy: Readonly<ScanPolicy> = Object.freeze({
  maxVulnerabilities: Object.freeze({ critical: 0 }),
  count: 'fixable',
  maxAgeMs: 7 * DayMs,
  allowUnscanned: false,
  source: 'built-in',
});

export const ScanPolicyKey = 'scan_policy';
const PolicyKeys = ['max_vulnerabilities', 'count', 'max_age', 'allow_unscanned'] as const;

/** The policy written at `field` (a `scan_policy:` value), problems reported through `r`. */
export function readScanPolicy(r: SpecReader, field: Field): ScanPolicy {
  const policy: ScanPolicy = { ...DefaultScanPolicy, source: field.at };
  const map = r.map(field);
  if (!map) return policy;
  r.onlyKeys(map, field.path, PolicyKeys);
  const max = r.get(map, 'max_vulnerabilities', field.path);
  if (max) policy.maxVulnerabilities = readLimits(r, max);
  const count = r.get(map, 'count', field.path);
  policy.count = (count && r.oneOf(count, ScanCounts)) ?? policy.count;
  const maxAge = r.get(map, 'max_age', field.path);
  const maxAgeMs = maxAge ? r.duration(maxAge) : null;
  if (maxAge && maxAgeMs !== null && maxAgeMs <= 0) {
    r.problem(maxAge.at, maxAge.path, `expected a duration above 0 such as 7d, got ${maxAgeMs}`);
  } else if (maxAgeMs !== null) {
    policy.maxAgeMs = maxAgeMs;
  }
  const allow = r.get(map, 'allow_unscanned', field.path);
  if (allow && typeof allow.value !== 'boolean') {
    r.problem(allow.at, allow.path, `expected true or false, got ${JSON.stringify(allow.value)}`);
  } else if (allow) {
    policy.allowUnscanned = allow.value as boolean;
  }
  return policy;
}

function readLimits(r: SpecReader, field: Field): ScanPolicy['maxVulnerabilities'] {
  const limits: ScanPolicy['maxVulnerabilities'] = {};
  const map = r.map(field);
  if (!map) return limits;
  r.onlyKeys(map, field.path, VulnerabilitySeverities);
  for (const severity of VulnerabilitySeverities) {
    const limit = r.get(map, severity, field.path);
    if (!limit) continue;
    if (typeof limit.value === 'number' && Number.isInteger(limit.value) && limit.value >= 0) {
      limits[severity] = limit.value;
    } else {
      r.problem(
        limit.at,
        limit.path,
        `expected a whole number of vulnerabilities, 0 or more, got ${JSON.stringify(limit.value)}`,
      );
    }
  }
  return limits;
}

/**
 * The scan policy of a file's documents: the one `scan_policy:` (a second one is a problem), and
 * the documents left for the SLO readers (a document holding only the policy is not an SLO
 * document). `roots` are the file's top-level mappings.
 */
export function takeScanPolicy(
  r: SpecReader,
  roots: readonly YAMLMap[],
): { scanPolicy: ScanPolicy; sloRoots: YAMLMap[] } {
  let scanPolicy: ScanPolicy = { ...DefaultScanPolicy };
  let seenAt: string | null = null;
  const sloRoots: YAMLMap[] = [];
  for (const root of roots) {
    const field = r.get(root, ScanPolicyKey, '');
    if (field && seenAt !== null) {
      r.problem(field.at, ScanPolicyKey, `written a second time; the first is at ${seenAt}`);
    } else if (field) {
      seenAt = field.at;
      scanPolicy = readScanPolicy(r, field);
    }
    const onlyPolicy = root.items.every((p) => isScalar(p.key) && p.key.value === ScanPolicyKey);
    if (!onlyPolicy || !root.has(ScanPolicyKey)) sloRoots.push(root);
  }
  return { scanPolicy, sloRoots };
}
