// The scan gate: may this AMI version be promoted, as far as its vulnerabilities go? One pure
// function over the scan policy (shared/slo/scan-policy.ts) and the version's latest scan, for
// GET /api/v1/images/:amiVersion/scan-gate, `bootwatch scan gate` and the rollout verdict (which
// shows it as one check). Decisions:
//   pass     a current scan within every limit (or none, where the policy allows unscanned)
//   fail     a limit is exceeded
//   no_scan  no scan, or only one older than max_age, and the policy wants a current one
// Worked example, the default policy (critical <= 0, fixable only, max_age 7d): a scan 2 days old
// with 3 critical of which 1 fixable fails ("1 fixable critical vulnerability, more than the 0
// allowed"); the same scan 8 days old is no_scan ("the latest scan is 8d old, more than the 7d
// max_age: scan again"), whatever it counted.
import { formatDuration } from '../../shared/duration.js';
import { VulnerabilitySeverities, type VulnerabilitySeverity } from '../../shared/conventions.js';
import type { ScanPolicy } from '../../shared/slo/scan-policy.js';
import type { StoredScan } from './image-scan.js';

export type ScanGateDecision = 'pass' | 'fail' | 'no_scan';

/** One limit of the policy against the scan. */
export interface ScanGateCheck {
  severity: VulnerabilitySeverity;
  /** The vulnerabilities that count: the fixable ones, or all, as the policy says. */
  count: number;
  max: number;
  ok: boolean;
}

export interface ScanGateResult {
  decision: ScanGateDecision;
  /** Why, one line each: what a pipeline log or the verdict shows. */
  reasons: string[];
  policy: {
    maxVulnerabilities: ScanPolicy['maxVulnerabilities'];
    count: ScanPolicy['count'];
    maxAge: string;
    allowUnscanned: boolean;
  };
  /** The scan judged (the version's latest), or null without one. */
  scan: {
    scanId: number;
    amiId: string;
    scanner: string;
    scannedAt: string;
    ageSeconds: number;
    /** Not older than max_age. */
    current: boolean;
  } | null;
  /** One per limit of the policy, worst severity first; empty without a scan. */
  checks: ScanGateCheck[];
}

export function evaluateScanGate(
  policy: ScanPolicy,
  latest: StoredScan | null,
  nowMs: number,
): ScanGateResult {
  const policyView = {
    maxVulnerabilities: policy.maxVulnerabilities,
    count: policy.count,
    maxAge: formatDuration(policy.maxAgeMs),
    allowUnscanned: policy.allowUnscanned,
  };
  if (latest === null) {
    return {
      decision: policy.allowUnscanned ? 'pass' : 'no_scan',
      reasons: [
        policy.allowUnscanned
          ? 'not scanned; the policy allows unscanned versions (allow_unscanned: true)'
          : 'not scanned: run a scanner on the AMI and send its report (bootwatch scan submit)',
      ],
      policy: policyView,
      scan: null,
      checks: [],
    };
  }
  const ageMs = Math.max(0, nowMs - latest.scannedAtMs);
  const current = ageMs <= policy.maxAgeMs;
  const checks = VulnerabilitySeverities.flatMap((severity): ScanGateCheck[] => {
    const max = policy.maxVulnerabilities[severity];
    if (max === undefined) return [];
    const counts = latest.summary.bySeverity[severity];
    const count = policy.count === 'fixable' ? counts.fixable : counts.total;
    return [{ severity, count, max, ok: count <= max }];
  });
  const failed = checks.filter((c) => !c.ok);
  const stale = `the latest scan is ${ageText(ageMs)} old, more than the ${policyView.maxAge} max_age`;
  const reasons = failed.map(
    (c) => `${vulnerabilities(c, policy)}, more than the ${c.max} allowed`,
  );
  let decision: ScanGateDecision;
  if (!current && !policy.allowUnscanned) {
    decision = 'no_scan';
    reasons.unshift(`${stale}: scan again`);
  } else {
    decision = failed.length > 0 ? 'fail' : 'pass';
    if (!current) reasons.push(`${stale}; the policy allows it (allow_unscanned: true)`);
    if (failed.length === 0) {
      const within = checks.map((c) => `${vulnerabilities(c, policy)} (at most ${c.max})`);
      reasons.unshift(
        `${within.length > 0 ? within.join(', ') : 'no limits in the policy'}; ` +
          `scan ${ageText(ageMs)} old`,
      );
    }
  }
  return {
    decision,
    reasons,
    policy: policyView,
    scan: {
      scanId: latest.scanId,
      amiId: latest.amiId,
      scanner: latest.scanner,
      scannedAt: new Date(latest.scannedAtMs).toISOString(),
      ageSeconds: Math.floor(ageMs / 1000),
      current,
    },
    checks,
  };
}

/** `1 fixable critical vulnerability`, `3 high vulnerabilities`. */
function vulnerabilities(c: ScanGateCheck, policy: ScanPolicy): string {
  const which = policy.count === 'fixable' ? 'fixable ' : '';
  return `${c.count} ${which}${c.severity} ${c.count === 1 ? 'vulnerability' : 'vulnerabilities'}`;
}

/** An age as people say it: `45m`, `30h`, `9d` (whole units, rounded down). */
export function ageText(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h` : `${Math.floor(hours / 24)}d`;
}
