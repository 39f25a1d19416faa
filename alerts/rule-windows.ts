// Which windows an SLO's rules compute, and how a time-scaled variant shrinks them. Pure.
//
// timeScale multiplies every range and `for` duration but never a name: a variant generated
// with timeScale 1/60 computes `slo:bootwatch_events:increase1h` over [1m], so that the committed
// dashboards and the Alertmanager routing run unchanged against it (the end-to-end test does).
import { BootwatchError } from '../shared/errors.js';
import { formatDuration } from '../shared/duration.js';
import { DefaultSparseRule, type Slo } from '../shared/slo/model.js';
import { evidenceWindow } from '../shared/slo/tiers.js';

/**
 * The slice the SLO window is summed from: budget over 30d = the sum of the 720 one-hour
 * increases, which Prometheus reads from the recorded 1h series (720 points per group) instead of
 * every raw sample of 30 days.
 */
export const SliceMs = 3_600_000;

export interface SloWindows {
  /** Every window with events/errors/ratio/burn rules, ascending (tier windows and the slice). */
  all: number[];
  /** Long windows of the tiers, ascending. */
  long: number[];
  /** Evidence windows of the tiers, ascending (these get the Wilson bound): tierEvidenceWindow(). */
  evidence: number[];
}

/** The window of a tier's Wilson bound: max(long window, the SLO's evidence window). */
export function tierEvidenceWindow(
  slo: Pick<Slo, 'sparse'>,
  tier: { longWindowMs: number },
): number {
  return evidenceWindow(tier.longWindowMs, (slo.sparse ?? DefaultSparseRule).evidenceWindowMs);
}

export function sloWindows(slo: Pick<Slo, 'tiers' | 'sparse'>): SloWindows {
  const long = new Set(slo.tiers.map((t) => t.longWindowMs));
  const evidence = new Set(slo.tiers.map((t) => tierEvidenceWindow(slo, t)));
  const short = slo.tiers.map((t) => t.shortWindowMs);
  const all = new Set([...long, ...short, ...evidence, SliceMs]);
  const asc = (a: number, b: number) => a - b;
  return { all: [...all].sort(asc), long: [...long].sort(asc), evidence: [...evidence].sort(asc) };
}

/** Validates a time scale: a positive finite number no larger than 1. */
export function checkTimeScale(timeScale: number): number {
  if (!(timeScale > 0 && timeScale <= 1 && Number.isFinite(timeScale))) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      `timeScale: expected a number in (0, 1], got ${String(timeScale)}`,
    );
  }
  return timeScale;
}

/** A window as a PromQL range after scaling, at least one second: 3_600_000 at 1/60 -> `1m`. */
export function scaledRange(ms: number, timeScale: number): string {
  return formatDuration(Math.max(1000, Math.round(ms * timeScale)));
}
