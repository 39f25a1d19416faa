// Multiwindow, multi-burn-rate alerting tiers (SRE Workbook, chapter 5, "Alerting on SLOs", table
// 5-8). Windows are data, not code: each tier says which share of the SLO window's error budget it
// may consume in its long window, and its burn-rate factor follows from that, so that a 28d or 7d
// SLO gets factors of its own instead of the 30d numbers.
import { DefaultEvidenceWindowMs, type AlertTier } from './model.js';

const MinuteMs = 60_000;
const HourMs = 60 * MinuteMs;
const DayMs = 24 * HourMs;

/** A tier before its factor is derived: what an SLO file writes. */
export interface TierSpec {
  severity: AlertTier['severity'];
  longWindowMs: number;
  shortWindowMs: number;
  budgetConsumed: number;
}

/**
 * The SRE Workbook's defaults for a 30-day SLO: page when 2% of the budget burns in 1 hour
 * (14.4x) or 5% in 6 hours (6x); ticket when 10% burns in 1 day (3x) or 10% in 3 days (1x). The
 * short window (1/12 of the long one) makes the alert stop soon after the burn stops.
 */
export const DefaultTierSpecs: readonly TierSpec[] = [
  { severity: 'page', longWindowMs: HourMs, shortWindowMs: 5 * MinuteMs, budgetConsumed: 0.02 },
  {
    severity: 'page',
    longWindowMs: 6 * HourMs,
    shortWindowMs: 30 * MinuteMs,
    budgetConsumed: 0.05,
  },
  { severity: 'ticket', longWindowMs: DayMs, shortWindowMs: 2 * HourMs, budgetConsumed: 0.1 },
  { severity: 'ticket', longWindowMs: 3 * DayMs, shortWindowMs: 6 * HourMs, budgetConsumed: 0.1 },
];

/**
 * The burn rate at which a tier consumes `budgetConsumed` of the SLO window's error budget in
 * exactly its long window:
 *   factor = budgetConsumed * sloWindow / longWindow
 * e.g. 2% of a 30-day budget in 1 hour: 0.02 * 720h / 1h = 14.4; over 28 days: 0.02 * 672 = 13.44;
 * over 7 days: 0.02 * 168 = 3.36.
 */
export function burnFactor(
  budgetConsumed: number,
  sloWindowMs: number,
  longWindowMs: number,
): number {
  // Rounded to 12 digits: 0.05 * 28 is 1.4000000000000001 in binary, and the factor is printed
  // in rules and alerts.
  return Math.round(budgetConsumed * (sloWindowMs / longWindowMs) * 1e12) / 1e12;
}

/**
 * A factor as people read it: two decimals from 1 up, two significant digits below (the exact
 * value stays in the rules and the engine). 14.4 -> `14.4`, 13.44 -> `13.44`, 1 -> `1`,
 * 0.933333333333 (10% of a 28-day budget in 3 days) -> `0.93`, 0.0333 -> `0.033`.
 */
export function formatFactor(factor: number): string {
  if (!Number.isFinite(factor)) return String(factor);
  return String(Number(Math.abs(factor) >= 1 ? factor.toFixed(2) : factor.toPrecision(2)));
}

/** A tier with its factor derived for an SLO window. */
export function tierFor(spec: TierSpec, sloWindowMs: number): AlertTier {
  return {
    severity: spec.severity,
    longWindowMs: spec.longWindowMs,
    shortWindowMs: spec.shortWindowMs,
    budgetConsumed: spec.budgetConsumed,
    factor: burnFactor(spec.budgetConsumed, sloWindowMs, spec.longWindowMs),
  };
}

/** The default tiers with their factors for an SLO window: 14.4, 6, 3, 1 at 30 days. */
export function defaultTiers(windowMs: number): AlertTier[] {
  return DefaultTierSpecs.map((spec) => tierFor(spec, windowMs));
}

/**
 * The window a tier's Wilson bound is computed over (sparse-rule.ts): its long window, or the
 * SLO's evidence window when that is longer. Default tiers: 1d for 1h, 6h and 1d; 3d for 3d.
 */
export function evidenceWindow(longWindowMs: number, evidenceWindowMs: number): number {
  return Math.max(longWindowMs, evidenceWindowMs);
}

/**
 * Every window an SLO evaluates, shortest first: each tier's long, short and evidence window and
 * the SLO window itself (5m, 30m, 1h, 2h, 6h, 1d, 3d and 30d with the default tiers).
 */
export function windowsInUse(
  tiers: readonly AlertTier[],
  sloWindowMs: number,
  evidenceWindowMs: number = DefaultEvidenceWindowMs,
): number[] {
  const all = new Set<number>([sloWindowMs]);
  for (const t of tiers) {
    all.add(t.longWindowMs);
    all.add(t.shortWindowMs);
    all.add(evidenceWindow(t.longWindowMs, evidenceWindowMs));
  }
  return [...all].sort((a, b) => a - b);
}
