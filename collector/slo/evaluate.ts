// One SLO, one group: from the counts of each window to the SLI, budget, burn rates and alert tiers.
// Pure; the counts come from the rollups (sli-counts.ts), so every ratio is a division of counts
// summed over the window, never an average of ratios.
//
// The alert decision, the SLI and the budget are computed at once: they are what an evaluation is
// for. The per-window and per-tier detail (tens of thousands of objects for ten SLOs of 500
// versions) is built when first read, by the API or the gauges, and kept with the report.
import { TimeToReadyBuckets } from '../../shared/conventions.js';
import { formatDuration } from '../../shared/duration.js';
import { budgetRatio, budgetRemaining, burnRate, errorRatio } from '../../shared/slo/budget.js';
import { DefaultSparseRule, type Slo } from '../../shared/slo/model.js';
import {
  alertDecision,
  minEventsForClassic,
  tierFires,
  tierThresholdRatio,
} from '../../shared/slo/sparse-rule.js';
import { evidenceWindow } from '../../shared/slo/tiers.js';
import { bucketQuantile } from '../routes/image-stats.js';
import type { FailingIn } from './failing-in.js';
import {
  NoEvents,
  type AlertLevel,
  type BudgetStatus,
  type GroupStatus,
  type TierStatus,
  type WindowStatus,
} from './report.js';

/** What the engine counted for one group: events and errors per window, in `windowsMs` order. */
export interface GroupCounts {
  windowsMs: readonly number[];
  events: Float64Array;
  errors: Float64Array;
  /** time_to_ready: successes per bucket over window i (TimeToReadyBuckets, then +Inf). */
  buckets?: (i: number) => ArrayLike<number>;
}

/** Per SLO, computed once: the tiers' thresholds and where each window sits in the counts. */
export class SloPlan {
  readonly z: number;
  readonly budget: number;
  readonly whole: number;
  readonly tiers: {
    r: number;
    minEvents: number;
    long: number;
    short: number;
    evidence: number;
  }[];

  constructor(
    readonly slo: Slo,
    readonly windowsMs: readonly number[],
  ) {
    const index = (ms: number) => windowsMs.indexOf(ms);
    const sparse = slo.sparse ?? DefaultSparseRule;
    this.z = sparse.z;
    this.budget = budgetRatio(slo.objective);
    this.whole = index(slo.windowMs);
    this.tiers = slo.tiers.map((t) => {
      const r = tierThresholdRatio(t.factor, slo.objective);
      return {
        r,
        minEvents: minEventsForClassic(r),
        long: index(t.longWindowMs),
        short: index(t.shortWindowMs),
        evidence: index(evidenceWindow(t.longWindowMs, sparse.evidenceWindowMs)),
      };
    });
  }
}

/** `lastEventMinute`: the group's latest minute with events (epoch minutes), null for the fleet. */
export function evaluateGroup(
  plan: SloPlan,
  labels: Record<string, string>,
  counts: GroupCounts,
  lastEventMinute: number | null,
): GroupStatus {
  return new GroupResult(plan, labels, counts, lastEventMinute);
}

const Severity: AlertLevel[] = ['none', 'ticket', 'page'];

/** A GroupStatus whose windows and tiers are built when first read (see the top). */
class GroupResult implements GroupStatus {
  readonly sliRatio: number | null;
  readonly budget: BudgetStatus;
  readonly alert: AlertLevel;
  failingIn?: FailingIn;
  #windows: WindowStatus[] | null = null;
  #tiers: TierStatus[] | null = null;
  readonly #plan: SloPlan;
  readonly #counts: GroupCounts;
  readonly #lastEventMinute: number | null;

  constructor(
    plan: SloPlan,
    readonly labels: Record<string, string>,
    counts: GroupCounts,
    lastEventMinute: number | null,
  ) {
    this.#plan = plan;
    this.#counts = counts;
    this.#lastEventMinute = lastEventMinute;
    const slo = plan.slo;
    const whole = at(counts, plan.whole);
    this.sliRatio = sliRatio(slo, errorRatio(whole));
    const remaining = budgetRemaining(whole, slo.objective);
    this.budget = { allowedErrors: plan.budget * whole.events, errors: whole.errors, remaining };
    if (remaining === null) this.budget.note = NoEvents;
    let level = 0;
    plan.slo.tiers.forEach((tier, i) => {
      const t = plan.tiers[i]!;
      const rank = Severity.indexOf(tier.severity);
      if (rank <= level) return;
      const fires = tierFires(
        t.r,
        t.minEvents,
        plan.z,
        at(counts, t.long),
        at(counts, t.short),
        at(counts, t.evidence),
      );
      if (fires) level = rank;
    });
    this.alert = Severity[level]!;
  }

  get lastEventAt(): string | null {
    const m = this.#lastEventMinute;
    return m === null ? null : new Date(m * 60_000).toISOString();
  }

  get windows(): WindowStatus[] {
    this.#windows ??= this.#counts.windowsMs.map((_, i) =>
      windowStatus(this.#plan.slo, this.#counts, i),
    );
    return this.#windows;
  }

  get tiers(): TierStatus[] {
    this.#tiers ??= tierStatuses(this.#plan, this.#counts);
    return this.#tiers;
  }

  toJSON(): GroupStatus {
    const { labels, sliRatio, budget, windows, tiers, alert, lastEventAt, failingIn } = this;
    return {
      labels,
      sliRatio,
      budget,
      windows,
      tiers,
      alert,
      lastEventAt,
      ...(failingIn ? { failingIn } : {}),
    };
  }
}

function at(c: GroupCounts, i: number): { events: number; errors: number } {
  return i < 0 ? { events: 0, errors: 0 } : { events: c.events[i]!, errors: c.errors[i]! };
}

function tierStatuses(plan: SloPlan, counts: GroupCounts): TierStatus[] {
  const slo = plan.slo;
  return slo.tiers.map((tier, i) => {
    const t = plan.tiers[i]!;
    const long = at(counts, t.long);
    const short = at(counts, t.short);
    const d = alertDecision({
      factor: tier.factor,
      objective: slo.objective,
      long,
      short,
      evidence: at(counts, t.evidence),
      z: plan.z,
    });
    return {
      severity: tier.severity,
      longWindow: windowLabel(tier.longWindowMs),
      shortWindow: windowLabel(tier.shortWindowMs),
      evidenceWindow: windowLabel(plan.windowsMs[t.evidence]!),
      factor: tier.factor,
      longBurnRate: burnRate(long, slo.objective),
      shortBurnRate: burnRate(short, slo.objective),
      firing: d.firing,
      thresholdRatio: d.thresholdRatio,
      minEvents: d.minEvents,
      classic: d.classic,
      wilsonLower: d.wilsonLower,
      trust: d.trust,
    };
  });
}

export function alertLevel(tiers: readonly Pick<TierStatus, 'severity' | 'firing'>[]): AlertLevel {
  if (tiers.some((t) => t.firing && t.severity === 'page')) return 'page';
  if (tiers.some((t) => t.firing && t.severity === 'ticket')) return 'ticket';
  return 'none';
}

/**
 * 1 - error ratio. Replacement rate counts launches per instance-day, which can exceed one per
 * instance-day: its SLI stops at 0 (the burn rate still says how far past the objective it is).
 */
function sliRatio(slo: Slo, ratio: number | null): number | null {
  if (ratio === null) return null;
  return slo.sli === 'replacement_rate' ? Math.max(0, 1 - ratio) : 1 - ratio;
}

function windowStatus(slo: Slo, c: GroupCounts, i: number): WindowStatus {
  const counts = at(c, i);
  const windowMs = c.windowsMs[i]!;
  const ratio = errorRatio(counts);
  const status: WindowStatus = {
    window: windowLabel(windowMs),
    windowMs,
    events: counts.events,
    errors: counts.errors,
    sliRatio: sliRatio(slo, ratio),
    errorRatio: ratio,
    burnRate: burnRate(counts, slo.objective),
  };
  if (slo.sli === 'time_to_ready') {
    const buckets = c.buckets && counts.events > 0 ? Array.from(c.buckets(i)) : [];
    status.timeToReadySeconds = {
      p50: bucketQuantile(0.5, buckets, TimeToReadyBuckets),
      p95: bucketQuantile(0.95, buckets, TimeToReadyBuckets),
      p99: bucketQuantile(0.99, buckets, TimeToReadyBuckets),
    };
  }
  if (slo.sli === 'replacement_rate') {
    status.replacementsPer1000PerDay = ratio === null ? null : ratio * 1000;
  }
  if (ratio === null) status.note = NoEvents;
  return status;
}

const labels = new Map<number, string>();

/** `1h` for 3600000, memoised: the same few windows are named tens of thousands of times. */
function windowLabel(ms: number): string {
  let label = labels.get(ms);
  if (label === undefined) labels.set(ms, (label = formatDuration(ms)));
  return label;
}
