// Names of what the generated Prometheus rules write: recording rule names, alert names, rule
// group names. The dashboards read these series, Alertmanager routes on these alert names and
// labels, so they live in one place. Recording rules follow Prometheus' `level:metric:operations`
// convention; the level is `slo` (every series carries the `slo` label and the SLO's group labels).
import { formatDuration } from '../shared/duration.js';

/** The window part of a recording rule name: 3_600_000 -> `1h`, 5_400_000 -> `1h30m`. */
export function windowName(ms: number): string {
  return formatDuration(ms);
}

/** Recording rule names for one window (nominal: a time-scaled test variant keeps the names). */
export const RecordName = {
  /** First boots counted in the window: boots_total - boots_retracted_total. */
  events: (windowMs: number) => `slo:bootwatch_events:increase${windowName(windowMs)}`,
  /** Bad events in the window (failures; for time_to_ready, boots not ready within the threshold). */
  errors: (windowMs: number) => `slo:bootwatch_errors:increase${windowName(windowMs)}`,
  /** errors / events, only where events > 0. */
  errorRatio: (windowMs: number) => `slo:bootwatch_error_ratio:ratio${windowName(windowMs)}`,
  /** Wilson score lower bound of the error ratio (evidence windows only). */
  wilsonLower: (windowMs: number) =>
    `slo:bootwatch_error_ratio_wilson_lower:ratio${windowName(windowMs)}`,
  /** error ratio / error budget: 1 burns the budget exactly over the SLO window. */
  burnRate: (windowMs: number) => `slo:bootwatch_burn_rate:ratio${windowName(windowMs)}`,
  /** 1 - (errors / events) / budget over the SLO window; negative once the budget is spent. */
  budgetRemaining: (windowMs: number) =>
    `slo:bootwatch_error_budget_remaining:ratio${windowName(windowMs)}`,
  /** Constant: the SLO objective (0.999), one series per SLO. */
  objective: 'slo:bootwatch_objective:ratio',
  /** Constant: the burn-rate factor of each tier, labels slo, severity, window. */
  burnThreshold: 'slo:bootwatch_burn_rate_threshold:ratio',
} as const;

export const AlertName = {
  /** Every burn-rate alert of every SLO; labels severity, slo, window and the SLO's group labels. */
  budgetBurn: 'BootwatchErrorBudgetBurn',
  /** Prometheus scrapes no collector at all: every SLO alert is blind. */
  noData: 'BootwatchNoData',
  /** The newest AMI version has more fixable critical vulnerabilities than the one it replaces. */
  vulnerabilitiesIncreased: 'BootwatchImageVulnerabilitiesIncreased',
  /** The AMI version running most instances has no scan within the scan policy's max_age. */
  scanOverdue: 'BootwatchImageScanOverdue',
  /** An active rollout's latest verdict is rollback: its canary failed (page). */
  failedCanary: 'BootwatchRolloutFailedCanary',
} as const;

export const GroupName = {
  slo: (sloName: string) => `bootwatch-slo-${sloName}`,
  meta: 'bootwatch-meta',
  scans: 'bootwatch-image-scans',
  rollouts: 'bootwatch-rollouts',
} as const;

/** Label values of the generated alerts. */
export const Severity = { page: 'page', ticket: 'ticket', info: 'info' } as const;
