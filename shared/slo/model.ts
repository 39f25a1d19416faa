// The SLO model: what every SLO input format (bootwatch YAML, OpenSLO v1) maps onto, what the
// engine evaluates and what the rule and dashboard generators read. Validation runs once, on this
// model; generators never see the input formats.

/** The SLIs bootwatch can compute from its rollups (DESIGN.md, SLO engine). */
export const SliKinds = [
  'boot_success',
  'time_to_ready',
  'agent_coverage',
  'replacement_rate',
  'rollout_success',
] as const;
export type SliKind = (typeof SliKinds)[number];

/** Labels an SLO may group by (Prometheus label names, PromLabel in conventions.ts). */
export const GroupByLabels = ['ami_version', 'ami_id', 'region', 'asg', 'instance_type'] as const;
export type GroupByLabel = (typeof GroupByLabels)[number];

/**
 * The labels a time_to_ready SLO may group by: those of the time-to-ready histogram
 * (`bootwatch_time_to_ready_seconds`, collector/store/counter-families.ts), from which the
 * generated Prometheus rules count "ready within the threshold". The collector's rollups know
 * ami_id and instance_type too, but an SLO the rules cannot compute would be judged by the
 * engine and not by Prometheus, so validation refuses it for both.
 */
export const TimeToReadyGroupBy: readonly GroupByLabel[] = ['ami_version', 'region', 'asg'];

/**
 * One multiwindow, multi-burn-rate alerting tier (SRE Workbook, chapter 5, table 5-8): alert when
 * both the long and the short window burn faster than `factor`. The factor derives from the share
 * of the error budget the tier may consume in its long window:
 *   factor = budgetConsumed * sloWindow / longWindow
 * e.g. 2% of a 30-day budget in 1 hour: 0.02 * 720h / 1h = 14.4.
 */
export interface AlertTier {
  severity: 'page' | 'ticket';
  /** Long window, ms (1h, 6h, 1d, 3d by default). */
  longWindowMs: number;
  /** Short window, ms (5m, 30m, 2h, 6h by default): stops the alert soon after the burn stops. */
  shortWindowMs: number;
  /** Share of the SLO window's error budget this tier may consume in its long window (0..1). */
  budgetConsumed: number;
  /** Burn-rate threshold, derived from budgetConsumed (see above). */
  factor: number;
}

export interface Slo {
  /** Unique; [a-z0-9_-], the `slo` label on every series and alert. */
  name: string;
  description: string;
  sli: SliKind;
  /** time_to_ready only: a boot is good when ready within this many seconds (a histogram bound). */
  thresholdSeconds: number | null;
  /** The target, as a ratio in (0, 1): 99.9% is 0.999. */
  objective: number;
  /** Rolling window, ms (30d, 28d, 7d...). */
  windowMs: number;
  groupBy: GroupByLabel[];
  tiers: AlertTier[];
  /**
   * How the alert tiers treat sparse traffic (sparse-rule.ts). Absent means the default
   * (DefaultSparseZ); the loaders always set it.
   */
  sparse?: SparseRule;
  /** Where it came from, for messages: file and line, or 'built-in'. */
  source: string;
}

/**
 * The sparse-traffic rule's parameters (sparse-rule.ts): z of the Wilson score lower bound that
 * makes a long window with fewer events than minEventsForClassic() trustworthy, and the evidence
 * window that bound is computed over (a tier's long window when longer).
 */
export interface SparseRule {
  z: number;
  /** The Wilson bound's window, ms: max(long window, this). 1d by default. */
  evidenceWindowMs: number;
}

/** z = 3: one-sided confidence of about 99.87% that the true error ratio is above the threshold. */
export const DefaultSparseZ = 3;

/**
 * 1d: a version with a day of good boots needs sustained failures before one can page, while a
 * new version's evidence is its whole short history (README, "Alerting on sparse boots").
 */
export const DefaultEvidenceWindowMs = 86_400_000;

/** The sparse settings when an SLO has none. */
export const DefaultSparseRule: Readonly<SparseRule> = Object.freeze({
  z: DefaultSparseZ,
  evidenceWindowMs: DefaultEvidenceWindowMs,
});
