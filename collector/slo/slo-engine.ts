// The SLO engine: evaluates every SLO on a schedule (30 s by default) and on demand, from
// in-memory totals per group and window (rollup-book.ts) that the store's change feed keeps equal
// to what is committed, on this replica or another, so that an evaluation costs the same however
// many boots are stored and counts every committed boot. One injectable clock decides every
// "now". A background loop: a failed evaluation is logged and the next tick tries again;
// evaluations never overlap. Everything is read once at start, and again only when the clock
// went back or jumped far, or the feed was pruned past this reader (it fell far behind).
import type { Clock } from '../../shared/clock.js';
import { TimeToReadyBuckets } from '../../shared/conventions.js';
import { isFleetWide } from '../../shared/slo/draft.js';
import { DefaultSparseRule, type Slo } from '../../shared/slo/model.js';
import { windowsInUse } from '../../shared/slo/tiers.js';
import type { RollupRow } from '../model.js';
import type { Store } from '../store/store.js';
import { timerScheduler, type Scheduler } from '../sweeper.js';
import { evaluateGroup, SloPlan, type FailingInOf } from './evaluate.js';
import { failingInByGroup, slowAbove, type FailingIn } from './failing-in.js';
import { familyKey, MinuteMs, type Family, type FamilySpec } from './family.js';
import { FleetSamples } from './fleet-samples.js';
import { sloStatusHead, type GroupStatus, type SloReport, type SloStatus } from './report.js';
import { FeedLostError, RollupBook } from './rollup-book.js';
import { RecentBad } from './recent-bad.js';
import { RolloutCounts } from './rollout-counts.js';
import { fleetWindowCounts, rollupWindowCounts, type FamilySums } from './sli-counts.js';

/** Every default in one place. */
export const SloEngineDefaults = {
  evaluationIntervalMs: 30_000, // scheduled evaluation; GET /api/v1/slos re-evaluates when older
  failingInMs: 2 * 3_600_000, // an alert names the versions and groups failing this recently
} as const;

export interface SloEngineLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SloEngineOptions {
  slos: readonly Slo[];
  store: Pick<Store, 'rollupFeed' | 'rollups' | 'badRollups' | 'coverage' | 'changesWritten'> &
    Partial<Pick<Store, 'rollouts'>>;
  clock: Clock;
  /** An agent heartbeating within this window counts as covering its instance. */
  heartbeatWindowMs: number;
  scheduler?: Scheduler;
  evaluationIntervalMs?: number;
  log?: SloEngineLog;
}

export interface EvaluationTiming {
  /** Whether this evaluation waited for a read of everything (start, a clock that went back). */
  loaded: boolean;
  readMs: number;
  computeMs: number;
}

/** Receives each report (the Alertmanager push); its errors are logged, never thrown. */
export type ReportListener = (report: SloReport) => Promise<void> | void;

export class SloEngine {
  readonly slos: readonly Slo[];
  readonly evaluationIntervalMs: number;
  private readonly plans: SloPlan[];
  /** Where alerting groups fail: the recent rows bad for some SLO (readFailing). */
  private readonly recentBad: RecentBad;
  private readonly allWindows: number[];
  private readonly book: RollupBook;
  private readonly fleet = new FleetSamples();
  private readonly rolloutCounts = new RolloutCounts();
  private last: SloReport | null = null;
  /** The store's count of changes written by this process when the last evaluation began. */
  private writtenAt = -1;
  private running: Promise<SloReport> | null = null;
  private cancel: (() => void) | null = null;
  private failing = false;
  private stopping = false;
  private readonly listeners: ReportListener[] = [];
  private timing: EvaluationTiming | null = null;

  constructor(private readonly o: SloEngineOptions) {
    this.slos = o.slos;
    this.plans = o.slos.map((s) => new SloPlan(s, sloWindowsInUse(s)));
    const slow = Math.min(TimeToReadyBuckets.length, ...o.slos.map(slowAbove));
    this.recentBad = new RecentBad((q) => o.store.badRollups(q, slow));
    this.allWindows = [...new Set(this.plans.flatMap((p) => p.windowsMs))].sort((a, b) => a - b);
    this.evaluationIntervalMs = o.evaluationIntervalMs ?? SloEngineDefaults.evaluationIntervalMs;
    this.book = new RollupBook({
      store: o.store,
      families: familiesOf(o.slos),
      windowsMinutes: this.allWindows.map((ms) => ms / MinuteMs),
      stopping: () => this.stopping,
    });
  }

  /** Evaluates now and then every evaluation interval until stop(). */
  start(scheduler: Scheduler | undefined = this.o.scheduler): void {
    if (this.cancel) return;
    const tick = () => {
      this.evaluate().catch(() => undefined);
    };
    this.cancel = (scheduler ?? timerScheduler).every(this.evaluationIntervalMs, tick);
    tick();
  }

  /** Cancels the schedule and waits for a running evaluation (a load gives up early). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.cancel?.();
    this.cancel = null;
    await this.running?.catch(() => undefined);
  }

  /**
   * The latest report, evaluating first when it is older than `maxAgeMs` (or missing), or when
   * this process has written boots since it began: an answer never misses a boot this collector
   * acknowledged (other replicas' boots count at the next scheduled evaluation).
   */
  async report(maxAgeMs = this.evaluationIntervalMs): Promise<SloReport> {
    const last = this.last;
    const age = last === null ? Infinity : this.o.clock.now() - last.evaluatedAtMs;
    const written = this.o.store.changesWritten;
    if (last !== null && age >= 0 && age < maxAgeMs && written === this.writtenAt) return last;
    return this.evaluate();
  }

  latest(): SloReport | null {
    return this.last;
  }

  /** Calls `listener` with every report from now on. */
  addListener(listener: ReportListener): void {
    this.listeners.push(listener);
  }

  /** Evaluates every SLO now; joins an evaluation already running. */
  evaluate(): Promise<SloReport> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** How long the last evaluation took reading the store and computing (for the benchmark). */
  get lastTiming(): EvaluationTiming | null {
    return this.timing;
  }

  /** Bytes held by the per-minute counts (for the benchmark). */
  get countBytes(): number {
    return this.book.bytes;
  }

  private async run(): Promise<SloReport> {
    const now = this.o.clock.now();
    const nowMinute = Math.floor(now / MinuteMs);
    const started = performance.now();
    this.writtenAt = this.o.store.changesWritten;
    let loaded = false;
    try {
      // Windows only move forward minute by minute: a clock that went back (or jumped far) reads
      // everything again, as does a reader that fell so far behind that its changes were pruned.
      if (this.book.canRefresh(nowMinute)) {
        try {
          await this.book.refresh(nowMinute);
        } catch (e) {
          if (!(e instanceof FeedLostError)) throw e;
          this.o.log?.warn({ err: e }, 'SLO engine: the change feed lost changes');
          loaded = true;
        }
      } else loaded = true;
      if (loaded) await this.book.load(nowMinute);
      await this.sampleFleet(now, nowMinute);
      await this.readRollouts(nowMinute);
    } catch (e) {
      if (!this.failing && !this.stopping) {
        this.o.log?.error({ err: e }, 'SLO evaluation: the store did not answer');
      }
      this.failing = true;
      throw e;
    }
    this.failing = false;
    const read = performance.now();
    const at = new Evaluation(nowMinute);
    const report: SloReport = {
      evaluatedAt: new Date(now).toISOString(),
      evaluatedAtMs: now,
      slos: this.plans.map((plan) => this.evaluateSlo(plan, at)),
    };
    await this.readFailing(report, at, now);
    this.timing = { loaded, readMs: read - started, computeMs: performance.now() - read };
    this.last = report;
    for (const listener of this.listeners) {
      try {
        await listener(report);
      } catch (e) {
        this.o.log?.warn({ err: e }, 'an SLO report listener failed');
      }
    }
    return report;
  }

  /**
   * Where alerting groups' bad boots come from: the rollups of the last two hours that hold a bad
   * boot, kept while a group alerts and brought up to date minute by minute (recent-bad.ts).
   */
  private async readFailing(report: SloReport, at: Evaluation, now: number): Promise<void> {
    const alerting = report.slos.some(
      (s) => !isFleetWide(s.sli) && s.groups.some((g) => g.alert !== 'none'),
    );
    const changed = this.book.takeChanged();
    if (!alerting) {
      this.recentBad.forget();
      return;
    }
    try {
      const nowMinute = Math.floor(now / MinuteMs);
      const fromMinute = nowMinute + 1 - SloEngineDefaults.failingInMs / MinuteMs;
      at.recent = [await this.recentBad.rows(fromMinute, nowMinute, changed)];
    } catch (e) {
      this.recentBad.forget();
      this.o.log?.warn({ err: e }, 'SLO evaluation: where alerting boots fail could not be read');
    }
  }

  /** rollout_success (M6): the finished rollouts of each of its windows. */
  private async readRollouts(nowMinute: number): Promise<void> {
    const rollouts = this.o.store.rollouts;
    const windows = this.plans.filter((p) => p.slo.sli === 'rollout_success');
    if (rollouts === undefined || windows.length === 0) return;
    const countFinished = (sinceMs: number) => rollouts.countFinished(sinceMs);
    await this.rolloutCounts.read(
      countFinished,
      nowMinute,
      windows.flatMap((p) => p.windowsMs),
    );
  }

  private async sampleFleet(now: number, nowMinute: number): Promise<void> {
    const sampled = this.slos.some(
      (s) => s.sli === 'agent_coverage' || s.sli === 'replacement_rate',
    );
    if (!sampled) return;
    const coverage = await this.o.store.coverage(now - this.o.heartbeatWindowMs);
    this.fleet.record(nowMinute, coverage);
  }

  private evaluateSlo(plan: SloPlan, at: Evaluation): SloStatus {
    const slo = plan.slo;
    const windows = plan.windowsMs;
    const groups: GroupStatus[] = [];
    if (slo.sli === 'rollout_success') {
      groups.push(evaluateGroup(plan, {}, this.rolloutCounts.table(windows), 0, null));
    } else if (isFleetWide(slo.sli)) {
      const family = this.book.family([]);
      const launches = family ? at.sums(family) : undefined;
      const counts = fleetWindowCounts(slo, this.fleet, launches, at.nowMinute, windows);
      groups.push(evaluateGroup(plan, {}, counts, 0, null));
    } else {
      const family = this.book.family(slo.groupBy);
      if (family) {
        const counts = rollupWindowCounts(plan, at.sums(family));
        const failing = at.failingIn(plan, family);
        const n = windows.length;
        for (const { id, labels } of family.groups()) {
          // A group without events in the SLO window has aged out: nothing to say about it.
          if (!(counts.events[id * n + plan.whole]! > 0)) continue;
          groups.push(
            evaluateGroup(plan, labels, counts, id, family.lastActiveMinute(id), failing),
          );
        }
      }
    }
    return {
      ...sloStatusHead(slo),
      groups,
      windowsMs: windows,
    };
  }
}

/**
 * What one evaluation shares between its SLOs: each family's window sums, computed once (ten
 * SLOs by AMI version read the same sums), and where alerting groups' bad boots come from, found
 * when an alert first asks, once per grouping and threshold, from the horizon's rows as they were.
 */
class Evaluation {
  private readonly familySums = new Map<Family, FamilySums>();
  private readonly failing = new Map<string, FailingInOf>();
  /** The rollups of the last two hours, read when a group alerts (readFailing). */
  recent: readonly (readonly RollupRow[])[] = [];

  constructor(readonly nowMinute: number) {}

  sums(family: Family): FamilySums {
    let f = this.familySums.get(family);
    if (!f) this.familySums.set(family, (f = { family, sums: family.windowSums() }));
    return f;
  }

  failingIn(plan: SloPlan, family: Family): FailingInOf {
    const key = `${familyKey(family.spec.labels)}|${plan.slo.sli === 'time_to_ready' ? plan.upTo : 'all'}`;
    let of = this.failing.get(key);
    if (!of) {
      const slo = plan.slo;
      let byGroup: Map<number, FailingIn> | null = null;
      of = (id) => {
        byGroup ??= failingInByGroup(slo, this.recent, (row) => family.find(row));
        return byGroup.get(id) ?? { amiVersions: [], asgs: [] };
      };
      this.failing.set(key, of);
    }
    return of;
  }
}

function sloWindowsInUse(slo: Slo): number[] {
  const sparse = slo.sparse ?? DefaultSparseRule;
  return windowsInUse(slo.tiers, slo.windowMs, sparse.evidenceWindowMs);
}

/** The families the SLOs need: one per distinct grouping (fleet launches: the empty grouping). */
function familiesOf(slos: readonly Slo[]): FamilySpec[] {
  const specs = new Map<string, FamilySpec>();
  for (const slo of slos) {
    if (slo.sli === 'agent_coverage' || slo.sli === 'rollout_success') continue;
    const labels = slo.sli === 'replacement_rate' ? [] : slo.groupBy;
    const key = familyKey(labels);
    const buckets = slo.sli === 'time_to_ready' || (specs.get(key)?.buckets ?? false);
    specs.set(key, { labels, buckets });
  }
  return [...specs.values()];
}
