// The SLO engine: evaluates every SLO on a schedule (30 s by default) and on demand, from
// in-memory per-minute counts (rollup-book.ts), so that an evaluation costs the same however many
// boots are stored. One injectable clock decides every "now". A background loop: a failed
// evaluation is logged and the next tick tries again; evaluations never overlap.
//
// The hourly re-read of everything (for corrections older than the horizon) loads a second book
// in the background while evaluations go on with the current one, which is swapped out at the
// first evaluation after the load: at ten million boots that load reads for half a minute, and
// evaluations, alerts and the SLO gauges would otherwise wait for it. Only the first load, and a
// clock that went back, make an evaluation wait for a whole load.
import type { Clock } from '../../shared/clock.js';
import { formatDuration } from '../../shared/duration.js';
import { isFleetWide } from '../../shared/slo/draft.js';
import { DefaultSparseRule, type Slo } from '../../shared/slo/model.js';
import { windowsInUse } from '../../shared/slo/tiers.js';
import type { Store } from '../store/store.js';
import { timerScheduler, type Scheduler } from '../sweeper.js';
import { evaluateGroup, SloPlan, type FailingInOf } from './evaluate.js';
import { failingInByGroup, type FailingIn } from './failing-in.js';
import { familyKey, MinuteMs, type Family, type FamilySpec } from './family.js';
import { FleetSamples } from './fleet-samples.js';
import type { GroupStatus, SloReport, SloStatus } from './report.js';
import { RollupBook } from './rollup-book.js';
import { fleetWindowCounts, rollupWindowCounts, type FamilySums } from './sli-counts.js';

/** Every default in one place. */
export const SloEngineDefaults = {
  evaluationIntervalMs: 30_000, // scheduled evaluation; GET /api/v1/slos re-evaluates when older
  correctionHorizonMs: 2 * 3_600_000, // rollups younger than this can still change: re-read
  correctionSweepMs: 15 * 60_000, // every minute of the horizon is re-read at least this often
  reloadIntervalMs: 3_600_000, // everything is re-read this often (very late corrections)
} as const;

export interface SloEngineLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SloEngineOptions {
  slos: readonly Slo[];
  store: Pick<Store, 'rollups' | 'coverage'>;
  clock: Clock;
  /** An agent heartbeating within this window counts as covering its instance. */
  heartbeatWindowMs: number;
  scheduler?: Scheduler;
  evaluationIntervalMs?: number;
  correctionHorizonMs?: number;
  correctionSweepMs?: number;
  reloadIntervalMs?: number;
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
  private readonly allWindows: number[];
  private book: RollupBook;
  private readonly newBook: () => RollupBook;
  private readonly fleet = new FleetSamples();
  private readonly reloadIntervalMs: number;
  /** When the data of the book in use, or of the one loading in the background, was read. */
  private loadedAtMs: number | null = null;
  /** The background reload, and the book it made once done (swapped in by the next run). */
  private reloading: Promise<void> | null = null;
  private reloaded: RollupBook | null = null;
  /** Moves on at every blocking load: a background reload started before it is stale. */
  private generation = 0;
  private last: SloReport | null = null;
  private running: Promise<SloReport> | null = null;
  private cancel: (() => void) | null = null;
  private failing = false;
  private stopping = false;
  private readonly listeners: ReportListener[] = [];
  private timing: EvaluationTiming | null = null;

  constructor(private readonly o: SloEngineOptions) {
    this.slos = o.slos;
    this.plans = o.slos.map((s) => new SloPlan(s, sloWindowsInUse(s)));
    this.allWindows = [...new Set(this.plans.flatMap((p) => p.windowsMs))].sort((a, b) => a - b);
    this.evaluationIntervalMs = o.evaluationIntervalMs ?? SloEngineDefaults.evaluationIntervalMs;
    this.reloadIntervalMs = o.reloadIntervalMs ?? SloEngineDefaults.reloadIntervalMs;
    const horizonMs = o.correctionHorizonMs ?? SloEngineDefaults.correctionHorizonMs;
    const horizonMinutes = Math.max(1, Math.ceil(horizonMs / MinuteMs));
    // The sweep re-reads the horizon in blocks, one per scheduled evaluation, so that each
    // evaluation reads a few minutes of rollups rather than two hours of them.
    const sweepMs = o.correctionSweepMs ?? SloEngineDefaults.correctionSweepMs;
    const evaluationsPerSweep = Math.max(1, Math.floor(sweepMs / this.evaluationIntervalMs));
    const bookOptions = {
      store: o.store,
      families: familiesOf(o.slos),
      horizonMinutes,
      windowsMinutes: this.allWindows.map((ms) => ms / MinuteMs),
      sweepBlockMinutes: Math.ceil(horizonMinutes / evaluationsPerSweep),
      stopping: () => this.stopping,
    };
    this.newBook = () => new RollupBook(bookOptions);
    this.book = this.newBook();
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
    await this.reloading;
  }

  /** Resolves once no background reload is running (the next evaluation uses what it read). */
  async reloadDone(): Promise<void> {
    await this.reloading;
  }

  /** The latest report, evaluating first when it is older than `maxAgeMs` (or missing). */
  async report(maxAgeMs = this.evaluationIntervalMs): Promise<SloReport> {
    const last = this.last;
    const age = last === null ? Infinity : this.o.clock.now() - last.evaluatedAtMs;
    if (last !== null && age >= 0 && age < maxAgeMs) return last;
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
    let loaded = false;
    try {
      if (this.reloaded !== null) {
        this.book = this.reloaded;
        this.reloaded = null;
      }
      // A clock that went back: the windows' settled sums only move forward, so read again.
      if (this.loadedAtMs === null || now < this.loadedAtMs || !this.book.canRefresh(nowMinute)) {
        this.generation += 1;
        await this.book.load(nowMinute);
        this.loadedAtMs = now;
        loaded = true;
      } else {
        if (now - this.loadedAtMs >= this.reloadIntervalMs) this.reloadInBackground(now);
        await this.book.refresh(nowMinute);
      }
      await this.sampleFleet(now, nowMinute);
    } catch (e) {
      if (!this.failing && !this.stopping) {
        this.o.log?.error({ err: e }, 'SLO evaluation: the store did not answer');
      }
      this.failing = true;
      throw e;
    }
    this.failing = false;
    const read = performance.now();
    const at = new Evaluation(this.book, nowMinute);
    const report: SloReport = {
      evaluatedAt: new Date(now).toISOString(),
      evaluatedAtMs: now,
      slos: this.plans.map((plan) => this.evaluateSlo(plan, at)),
    };
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

  /** Reads everything into a new book without holding up evaluations; one at a time. */
  private reloadInBackground(now: number): void {
    if (this.reloading !== null) return;
    const generation = this.generation;
    const book = this.newBook();
    this.loadedAtMs = now; // the next reload is due an interval after this one began
    this.reloading = book
      .load(Math.floor(now / MinuteMs))
      .then(
        () => {
          if (generation === this.generation) this.reloaded = book;
        },
        (e: unknown) => {
          if (this.stopping) return;
          this.o.log?.warn(
            { err: e },
            'SLO engine: the hourly re-read failed; next evaluation retries',
          );
          if (generation === this.generation) this.loadedAtMs = now - this.reloadIntervalMs;
        },
      )
      .finally(() => {
        this.reloading = null;
      });
  }

  private async sampleFleet(now: number, nowMinute: number): Promise<void> {
    if (!this.slos.some((s) => isFleetWide(s.sli))) return;
    const coverage = await this.o.store.coverage(now - this.o.heartbeatWindowMs);
    this.fleet.record(nowMinute, coverage);
  }

  private evaluateSlo(plan: SloPlan, at: Evaluation): SloStatus {
    const slo = plan.slo;
    const windows = plan.windowsMs;
    const groups: GroupStatus[] = [];
    if (isFleetWide(slo.sli)) {
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
      name: slo.name,
      description: slo.description,
      sli: slo.sli,
      objective: slo.objective,
      window: formatDuration(slo.windowMs),
      windowMs: slo.windowMs,
      thresholdSeconds: slo.thresholdSeconds,
      groupBy: [...slo.groupBy],
      sparseZ: (slo.sparse ?? DefaultSparseRule).z,
      groups,
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
  private readonly recent: ReturnType<RollupBook['recent']>;

  constructor(
    book: RollupBook,
    readonly nowMinute: number,
  ) {
    this.recent = book.recent();
  }

  sums(family: Family): FamilySums {
    let f = this.familySums.get(family);
    if (!f) this.familySums.set(family, (f = { family, sums: family.windowSums(this.nowMinute) }));
    return f;
  }

  failingIn(plan: SloPlan, family: Family): FailingInOf {
    const key = `${familyKey(family.spec.labels)}|${plan.slo.sli === 'time_to_ready' ? plan.upTo : 'all'}`;
    let of = this.failing.get(key);
    if (!of) {
      const rows = this.recent;
      const slo = plan.slo;
      let byGroup: Map<number, FailingIn> | null = null;
      of = (id) => {
        byGroup ??= failingInByGroup(slo, rows, (row) => family.find(row));
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
    if (slo.sli === 'agent_coverage') continue;
    const labels = slo.sli === 'replacement_rate' ? [] : slo.groupBy;
    const key = familyKey(labels);
    const buckets = slo.sli === 'time_to_ready' || (specs.get(key)?.buckets ?? false);
    specs.set(key, { labels, buckets });
  }
  return [...specs.values()];
}
