// What bootwatch keeps of a vulnerability report: counts, not the report. Both scanners' findings
// are reduced to (vulnerability id, package, severity, fixable) and counted here.
//
// A report can list one vulnerability several times: Trivy once per target (the OS packages and
// every lock file or jar that carries the same library), Grype once per location. What a person
// fixes is one vulnerability in one package, so the counts are of distinct (id, package) pairs;
// a pair listed twice counts once, with its worst severity, and as fixable when any listing names
// a fix. Worked example:
//   CVE-1 openssl HIGH fixed, CVE-1 openssl HIGH fixed (second target), CVE-1 curl LOW,
//   CVE-2 curl UNKNOWN, CVE-2 curl MEDIUM
//   -> findings 5, distinct 3: high 1 (fixable 1), medium 1 (CVE-2 curl), low 1.
import { VulnerabilitySeverities, type VulnerabilitySeverity } from '../../shared/conventions.js';

export interface SeverityCount {
  /** Distinct vulnerabilities of this severity. */
  total: number;
  /** Of those, the ones with a fixed version (Trivy FixedVersion, Grype fix.state "fixed"). */
  fixable: number;
}

export type SeverityCounts = Record<VulnerabilitySeverity, SeverityCount>;

export interface ScanSummary {
  /** Entries as the report lists them (a CVE under three targets is three). */
  findings: number;
  /** Distinct (vulnerability id, package) pairs: what the severity counts add up to. */
  distinct: number;
  bySeverity: SeverityCounts;
  /** Ids of the distinct critical vulnerabilities, sorted, at most MaxCriticalIds. */
  criticalIds: string[];
}

/** One entry of a report, as both scanners' readers hand it over. */
export interface Finding {
  id: string;
  pkg: string;
  severity: VulnerabilitySeverity;
  fixable: boolean;
}

/**
 * Critical ids kept per scan: enough for a ticket or a pipeline log to name them all in any
 * image worth promoting, bounded so that a pathological report cannot grow a stored row.
 */
export const MaxCriticalIds = 100;

const Rank = new Map(VulnerabilitySeverities.map((s, i) => [s, i]));

/**
 * A scanner's severity as bootwatch counts it: case folded (Grype writes `Critical`, Trivy
 * `CRITICAL`), Grype's `Negligible` as `low`, anything else (`""`, a new word) as `unknown`.
 */
export function normalizeSeverity(text: unknown): VulnerabilitySeverity {
  if (typeof text !== 'string') return 'unknown';
  const s = text.trim().toLowerCase();
  if (s === 'negligible') return 'low';
  return Rank.has(s as VulnerabilitySeverity) ? (s as VulnerabilitySeverity) : 'unknown';
}

/** The worse of two severities; `unknown` is never worse than a known one. */
function worse(a: VulnerabilitySeverity, b: VulnerabilitySeverity): VulnerabilitySeverity {
  return (Rank.get(a) ?? 0) <= (Rank.get(b) ?? 0) ? a : b;
}

export function emptyCounts(): SeverityCounts {
  const counts = {} as SeverityCounts;
  for (const s of VulnerabilitySeverities) counts[s] = { total: 0, fixable: 0 };
  return counts;
}

/** Adds findings one at a time (a streamed report never holds them all) and sums them up. */
export class SummaryBuilder {
  private findings = 0;
  /** `id \0 package` -> what is known of that pair so far. */
  private readonly pairs = new Map<string, { severity: VulnerabilitySeverity; fixable: boolean }>();

  add(f: Finding): void {
    this.findings += 1;
    const key = `${f.id}\u0000${f.pkg}`;
    const known = this.pairs.get(key);
    if (known === undefined) {
      this.pairs.set(key, { severity: f.severity, fixable: f.fixable });
      return;
    }
    known.severity = worse(known.severity, f.severity);
    known.fixable ||= f.fixable;
  }

  summary(): ScanSummary {
    const bySeverity = emptyCounts();
    const critical = new Set<string>();
    for (const [key, { severity, fixable }] of this.pairs) {
      bySeverity[severity].total += 1;
      if (fixable) bySeverity[severity].fixable += 1;
      if (severity === 'critical') critical.add(key.slice(0, key.indexOf('\u0000')));
    }
    return {
      findings: this.findings,
      distinct: this.pairs.size,
      bySeverity,
      criticalIds: [...critical].sort().slice(0, MaxCriticalIds),
    };
  }
}
