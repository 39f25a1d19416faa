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

/**
 * What the engine counted for the groups of one SLO, a row per group: events and errors over
 * window i (in `windowsMs` order) of row r at [r * windowsMs.length + i]. One table per SLO, not
 * arrays per group: ten SLOs of 500 versions make 5,000 groups an evaluation.
 */
export interface CountTable {
  windowsMs: readonly number[];
  events: Float64Array;
  errors: Float64Array;
  /** time_to_ready: successes per bucket of row r over window i (TimeToReadyBuckets, then +Inf). */
  buckets?: (r: number, i: number) => ArrayLike<number>;
}

/** Where a group's bad boots come from, asked of its row when an alert reads it. */
export type FailingInOf = (r: number) => FailingIn;

const Severity: AlertLevel[] = ['none', 'ticket', 'page'];

/** Per SLO, computed once: the tiers' thresholds and where each window sits in the counts. */
export class SloPlan {
  readonly z: number;
  readonly budget: number;
  readonly whole: number;
  /** time_to_ready: the last bucket within the threshold (-1 for the others). */
  readonly upTo: number;
  readonly tiers: {
    /** The tier's severity as a rank in Severity: a firing tier raises the level to it. */
    rank: number;
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
    this.upTo =
      slo.sli === 'time_to_ready'
        ? (TimeToReadyBuckets as readonly number[]).indexOf(slo.thresholdSeconds ?? -1)
        : -1;
    this.tiers = slo.tiers.map((t) => {
      const r = tierThresholdRatio(t.factor, slo.objective);
      return {
        rank: Severity.indexOf(t.severity),
        r,
        minEvents: minEventsForClassic(r),
        long: index(t.longWindowMs),
        short: index(t.shortWindowMs),
        evidence: index(evidenceWindow(t.longWindowMs, sparse.evidenceWindowMs)),
      };
    });
  }
}

/**
 * Row `r` of `counts`. `lastEventMinute`: the group's latest minute with events (epoch minutes),
 * null for the fleet. `failingIn`: where an alerting group's bad boots come from (not for the fleet).
 */
export function evaluateGroup(
  plan: SloPlan,
  labels: Record<string, string>,
  counts: CountTable,
  r: number,
  lastEventMinute: number | null,
  failingIn?: FailingInOf,
): GroupStatus {
  return new GroupResult(plan, labels, counts, r, lastEventMinute, failingIn);
}

/** Window counts handed to the budget and alert functions, reused: nothing allocated per tier. */
const whole = { events: 0, errors: 0 };
const long = { events: 0, errors: 0 };
const short = { events: 0, errors: 0 };
const evidence = { events: 0, errors: 0 };

/** A GroupStatus whose windows and tiers are built when first read (see the top). */
class GroupResult implements GroupStatus {
  readonly sliRatio: number | null;
  readonly budget: BudgetStatus;
  readonly alert: AlertLevel;
  #windows: WindowStatus[] | null = null;
  #tiers: TierStatus[] | null = null;
  #failingIn: FailingIn | undefined;
  #lastEventAt: string | undefined;
  readonly #plan: SloPlan;
  readonly #counts: CountTable;
  readonly #r: number;
  readonly #lastEventMinute: number | null;
  readonly #failingOf: FailingInOf | undefined;

  constructor(
    plan: SloPlan,
    readonly labels: Record<string, string>,
    counts: CountTable,
    r: number,
    lastEventMinute: number | null,
    failingOf: FailingInOf | undefined,
  ) {
    this.#plan = plan;
    this.#counts = counts;
    this.#r = r;
    this.#lastEventMinute = lastEventMinute;
    this.#failingOf = failingOf;
    const slo = plan.slo;
    const base = r * counts.windowsMs.length;
    load(whole, counts, base, plan.whole);
    this.sliRatio = sliRatio(slo, errorRatio(whole));
    const remaining = budgetRemaining(whole, slo.objective);
    this.budget = { allowedErrors: plan.budget * whole.events, errors: whole.errors, remaining };
    if (remaining === null) this.budget.note = NoEvents;
    let level = 0;
    for (let i = 0; i < plan.tiers.length; i += 1) {
      const t = plan.tiers[i]!;
      if (t.rank <= level) continue;
      load(long, counts, base, t.long);
      load(short, counts, base, t.short);
      load(evidence, counts, base, t.evidence);
      if (tierFires(t.r, t.minEvents, plan.z, long, short, evidence)) level = t.rank;
    }
    this.alert = Severity[level]!;
  }

  /** Built when first read, and only for an alerting group (the Alertmanager push reads it). */
  get failingIn(): FailingIn | undefined {
    if (this.alert === 'none' || !this.#failingOf) return undefined;
    this.#failingIn ??= this.#failingOf(this.#r);
    return this.#failingIn;
  }

  get lastEventAt(): string | null {
    const m = this.#lastEventMinute;
    if (m === null) return null;
    return (this.#lastEventAt ??= new Date(m * 60_000).toISOString());
  }

  counts(index: number): { events: number; errors: number } {
    return at(this.#counts, this.#r, index);
  }

  get windows(): WindowStatus[] {
    this.#windows ??= this.#counts.windowsMs.map((_, i) =>
      windowStatus(this.#plan.slo, this.#counts, this.#r, i),
    );
    return this.#windows;
  }

  get tiers(): TierStatus[] {
    this.#tiers ??= tierStatuses(this.#plan, this.#counts, this.#r);
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

/** Window i of row r (the row's base given), into `into`; a window not in use counts nothing. */
function load(
  into: { events: number; errors: number },
  c: CountTable,
  base: number,
  i: number,
): void {
  into.events = i < 0 ? 0 : c.events[base + i]!;
  into.errors = i < 0 ? 0 : c.errors[base + i]!;
}

function at(c: CountTable, r: number, i: number): { events: number; errors: number } {
  const counts = { events: 0, errors: 0 };
  load(counts, c, r * c.windowsMs.length, i);
  return counts;
}

function tierStatuses(plan: SloPlan, counts: CountTable, r: number): TierStatus[] {
  const slo = plan.slo;
  return slo.tiers.map((tier, i) => {
    const t = plan.tiers[i]!;
    const long = at(counts, r, t.long);
    const short = at(counts, r, t.short);
    const d = alertDecision({
      factor: tier.factor,
      objective: slo.objective,
      long,
      short,
      evidence: at(counts, r, t.evidence),
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

function windowStatus(slo: Slo, c: CountTable, r: number, i: number): WindowStatus {
  const counts = at(c, r, i);
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
    const buckets = c.buckets && counts.events > 0 ? Array.from(c.buckets(r, i)) : [];
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
