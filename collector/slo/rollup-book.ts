// The rollups the SLO engine reads, kept in memory per family (family.ts) so that an evaluation
// costs the same for ten thousand or ten million stored boots.
//
// - load(): reads the longest window in chunks sized to hold the event loop about 20 ms each (at
//   start and, to catch very late corrections, every hour, in the background: slo-engine.ts). Minutes older than the correction horizon (2 hours) are settled: never re-read,
//   and their sums over each window kept current as the windows move (settled-counts.ts).
// - refresh(), at each evaluation, reads a bounded number of minutes, whatever the boot rate:
//   the minutes leaving the horizon (read one last time, then settled), the newest minutes (where
//   new boots land: the last 3), any minute never read yet, and the next block of a sweep over
//   the rest of the horizon, so that every minute of it is re-read within `sweepMs` (15 minutes).
//   A late report that corrects a boot 40 minutes old is thus counted within 15 minutes.
import type { RollupRow } from '../model.js';
import type { Store } from '../store/store.js';
import { Family, familyKey, MinuteMs, type FamilySpec } from './family.js';
import type { MinuteRange } from './prefix-log.js';

export interface RollupBookOptions {
  store: Pick<Store, 'rollups'>;
  families: readonly FamilySpec[];
  /** Minutes a rollup can still change after the fact (a late report replacing a no_report). */
  horizonMinutes: number;
  /** Every window an SLO evaluates, in minutes (the longest is what a load reads). */
  windowsMinutes: readonly number[];
  /** The newest minutes, re-read at every refresh. */
  freshMinutes?: number;
  /** Minutes of the older horizon re-read per refresh (the sweep's block). */
  sweepBlockMinutes?: number;
  /** Minutes read per query when loading; unset: sized as it goes (nextChunkMinutes). */
  chunkMinutes?: number;
  /** True once the engine is stopping: a long load gives up between two chunks. */
  stopping?: () => boolean;
}

export const RollupBookDefaults = {
  freshMinutes: 3,
  /** The first read of a load; the next ones are sized to take about chunkTargetMs each. */
  firstChunkMinutes: 60,
  maxChunkMinutes: 1440,
  chunkTargetMs: 20,
} as const;

/**
 * Minutes for the next read of a load, from how long the last one took (its read and settling).
 * A read of SQLite and the settling run on the event loop without a break: at ten million boots
 * six hours of rollups held it for 300 ms, and every request waited. Sized to the target, each
 * read holds it about 20 ms whatever the fleet, and a small store still loads in a few reads.
 */
export function nextChunkMinutes(
  minutes: number,
  elapsedMs: number,
  targetMs: number = RollupBookDefaults.chunkTargetMs,
): number {
  const scaled = Math.floor((minutes * targetMs) / Math.max(elapsedMs, 0.1));
  // At most 4x larger at a time: one read that happened to find few rows must not make the
  // next one huge.
  return Math.max(1, Math.min(RollupBookDefaults.maxChunkMinutes, 4 * minutes, scaled));
}

/** The window of `minutes` ending with the current minute: [now - minutes + 1, now]. */
export function windowRange(nowMinute: number, minutes: number): MinuteRange {
  return { from: nowMinute - minutes + 1, to: nowMinute + 1 };
}

export class RollupBook {
  private families = new Map<string, Family>();
  /** Minutes before this one are settled (exclusive edge, epoch minutes): the horizon's start. */
  private settledUntil = 0;
  /** Minutes before this one have been read at least once. */
  private readUpTo = 0;
  /** Where the sweep over the older horizon continues. */
  private cursor = 0;
  /** The minute of the latest load or refresh: the windows end there. */
  private nowMinute: number | null = null;
  /**
   * The rows of the horizon as last read, by minute: who is failing right now. A minute's list is
   * replaced whole, never changed, so a report can keep the lists it was evaluated with.
   */
  private rowsByMinute = new Map<number, readonly RollupRow[]>();
  private readonly fresh: number;
  private readonly block: number;
  /** A fixed number of minutes per read when loading, or null: sized as it goes. */
  private readonly chunk: number | null;

  constructor(private readonly o: RollupBookOptions) {
    this.fresh = Math.min(o.horizonMinutes, o.freshMinutes ?? RollupBookDefaults.freshMinutes);
    this.block = Math.max(1, o.sweepBlockMinutes ?? o.horizonMinutes);
    this.chunk = o.chunkMinutes ?? null;
  }

  family(labels: readonly string[]): Family | undefined {
    return this.families.get(familyKey(labels as FamilySpec['labels']));
  }

  /** Reads everything from the oldest minute of the longest window up to now. */
  async load(nowMinute: number): Promise<void> {
    const families = new Map<string, Family>();
    for (const spec of this.o.families) {
      families.set(
        familyKey(spec.labels),
        new Family(spec, this.o.horizonMinutes, this.o.windowsMinutes),
      );
    }
    const from = nowMinute - Math.max(0, ...this.o.windowsMinutes) + 1;
    const edge = this.edge(nowMinute);
    // The windows end at nowMinute from the start, so that each chunk moves their totals as it
    // settles: summing four million cells at the end in one go held the event loop for 170 ms.
    for (const f of families.values()) f.moveWindows(nowMinute);
    await this.settleChunks(families, from, edge, nowMinute);
    // Trimming the room grown for nothing copies the counts: a turn of its own.
    await nextTurn();
    for (const f of families.values()) {
      f.compact();
      f.moveRecent(edge);
    }
    const rows = await this.read(edge, nowMinute + 1);
    for (const f of families.values()) f.replaceRecent(edge, nowMinute + 1, rows);
    // Swapped in whole: an evaluation never sees a half-loaded book.
    this.families = families;
    this.settledUntil = edge;
    this.readUpTo = nowMinute + 1;
    this.cursor = edge;
    this.nowMinute = nowMinute;
    this.rowsByMinute = new Map();
    this.keepRows(edge, nowMinute + 1, rows);
  }

  /**
   * Whether refresh() can move to `nowMinute`: not before the last minute loaded or refreshed
   * (the settled counts only move forward; a clock that went back needs a load).
   */
  canRefresh(nowMinute: number): boolean {
    return this.nowMinute !== null && nowMinute >= this.nowMinute;
  }

  /** Settles what left the horizon and re-reads a bounded part of it (see above). */
  async refresh(nowMinute: number): Promise<void> {
    if (!this.canRefresh(nowMinute)) throw new Error('RollupBook.refresh: load first');
    const edge = this.edge(nowMinute);
    if (edge > this.settledUntil) {
      await this.settleChunks(this.families, this.settledUntil, edge);
      for (const f of this.families.values()) f.moveRecent(edge);
      for (const minute of this.rowsByMinute.keys()) {
        if (minute < edge) this.rowsByMinute.delete(minute);
      }
      this.settledUntil = edge;
    }
    for (const f of this.families.values()) f.moveWindows(nowMinute);
    this.nowMinute = nowMinute;
    const end = nowMinute + 1;
    const freshFrom = Math.max(this.settledUntil, Math.min(end - this.fresh, this.readUpTo));
    await this.replace(freshFrom, end);
    if (this.cursor < this.settledUntil || this.cursor >= freshFrom)
      this.cursor = this.settledUntil;
    const sweepTo = Math.min(freshFrom, this.cursor + this.block);
    await this.replace(this.cursor, sweepTo);
    this.cursor = sweepTo;
    this.readUpTo = Math.max(this.readUpTo, end);
  }

  /** Rollup rows of the correction horizon, each minute as last read (a list per minute). */
  recent(): readonly (readonly RollupRow[])[] {
    return [...this.rowsByMinute.values()];
  }

  /** Bytes held by every family's counts. */
  get bytes(): number {
    let total = 0;
    for (const f of this.families.values()) total += f.bytes;
    return total;
  }

  /** The first minute of the horizon when `nowMinute` is its last. */
  private edge(nowMinute: number): number {
    return nowMinute + 1 - this.o.horizonMinutes;
  }

  private async replace(from: number, to: number): Promise<RollupRow[]> {
    if (to <= from) return [];
    const rows = await this.read(from, to);
    for (const f of this.families.values()) f.replaceRecent(from, to, rows);
    this.keepRows(from, to, rows);
    return rows;
  }

  private keepRows(from: number, to: number, rows: readonly RollupRow[]): void {
    const next = new Map<number, RollupRow[]>();
    for (const row of rows) {
      const minute = Math.floor(row.minuteMs / MinuteMs);
      if (minute < from || minute >= to) continue;
      const list = next.get(minute);
      if (list) list.push(row);
      else next.set(minute, [row]);
    }
    for (let m = from; m < to; m += 1) {
      const list = next.get(m);
      if (list) this.rowsByMinute.set(m, list);
      else this.rowsByMinute.delete(m);
    }
  }

  private read(from: number, to: number): Promise<RollupRow[]> {
    return this.o.store.rollups({ fromMs: from * MinuteMs, toMs: to * MinuteMs });
  }

  /**
   * Reads [from, to) in chunks straight into the settled counts; with `windowsAt`, the windows
   * (already ending there) pass what each chunk added before their start.
   */
  private async settleChunks(
    families: Map<string, Family>,
    from: number,
    to: number,
    windowsAt?: number,
  ): Promise<void> {
    let chunk = this.chunk ?? RollupBookDefaults.firstChunkMinutes;
    for (let start = from, end = from; start < to; start = end) {
      const t0 = performance.now();
      end = Math.min(to, start + chunk);
      const rows = await this.read(start, end);
      for (const f of families.values()) {
        f.settle(rows);
        if (windowsAt !== undefined) f.moveWindows(windowsAt);
      }
      if (end === to) break;
      if (this.chunk === null) chunk = nextChunkMinutes(chunk, performance.now() - t0);
      // Let requests in between: a reload of a large store reads for seconds.
      await nextTurn();
      if (this.o.stopping?.()) throw new Error('the SLO engine is stopping');
    }
  }
}

/** Lets the event loop serve what waits (I/O, timers) before going on. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
