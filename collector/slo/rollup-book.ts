// The counts the SLO engine evaluates: per family (family.ts), the totals of every group over
// every window ending at the book's minute, kept equal to what the store has committed through
// the store's change feed (store.ts, RollupFeed), so that an evaluation costs the same for ten
// thousand or ten million stored boots and counts a late report at the next evaluation.
//
// - load(): reads the longest window's rollups in chunks of about 5,000 rows each, so that no
//   read holds the event loop long (about 20 ms). Each read of the feed also returns what was committed since the previous one:
//   changes to minutes already read are added, changes to minutes not read yet are left to their
//   own read (which sees them), so the result is exactly the store as of the last read.
// - refresh(), at each evaluation: one read returns every change committed since the last one
//   and the rollups of the minutes the windows gain and lose as they move to the new minute, from
//   one snapshot. The changes are added to the windows as they stood, then the windows move.
//
// Worked example, one 3-minute window ending at minute 10 (minutes 8..10) holding 5 boots. A
// late report lands in minute 9 and the clock moves to minute 11: the read returns the change
// (+1 in minute 9: the window holds 6) and the rows of minute 8 (2 boots, leaving) and 11 (1
// boot, entering): 6 - 2 + 1 = 5, the boots of minutes 9..11. A change in minute 11 would be in
// minute 11's row already and is not added again (minute 11 was outside the window as it stood).
import type { RollupRow } from '../model.js';
import type { RollupFeed, RollupQuery, Store } from '../store/store.js';
import { Family, familyKey, MinuteMs, type FamilySpec } from './family.js';
import type { MinuteRange } from './prefix-log.js';

export interface RollupBookOptions {
  store: Pick<Store, 'rollupFeed'>;
  families: readonly FamilySpec[];
  /** Every window an SLO evaluates, in minutes (the longest is what a load reads). */
  windowsMinutes: readonly number[];
  /** Minutes read per query when loading; unset: sized as it goes (nextChunkMinutes). */
  chunkMinutes?: number;
  /** True once the engine is stopping: a long load gives up between two chunks. */
  stopping?: () => boolean;
}

export const RollupBookDefaults = {
  /** The first read of a load; the next ones are sized to read about chunkTargetRows each. */
  firstChunkMinutes: 60,
  maxChunkMinutes: 1440,
  chunkTargetRows: 5000,
  /** A clock that jumps further than this is read anew (a load) rather than moved minute by minute. */
  maxStepMinutes: 360,
} as const;

/**
 * Minutes for the next read of a load, from how many rows the last one read. Reading and adding
 * rows is what holds the event loop (SQLite reads synchronously), about 3 to 4 µs a row: sized
 * to the target, each read holds it about 20 ms whatever the fleet, and a small store still
 * loads in a few reads. Rows, not elapsed time: a read's fixed cost (a round trip to a distant
 * PostgreSQL, a busy machine) must not shrink the chunks until a load takes forty thousand reads.
 * Example: six hours of a 10M-boot store hold 30,000 rows: the next read is an hour.
 */
export function nextChunkMinutes(
  minutes: number,
  rows: number,
  targetRows: number = RollupBookDefaults.chunkTargetRows,
): number {
  const scaled = Math.floor((minutes * targetRows) / Math.max(rows, 1));
  // At most 4x larger at a time: one read that happened to find few rows must not make the
  // next one huge.
  return Math.max(1, Math.min(RollupBookDefaults.maxChunkMinutes, 4 * minutes, scaled));
}

/** The window of `minutes` ending with the current minute: [now - minutes + 1, now]. */
export function windowRange(nowMinute: number, minutes: number): MinuteRange {
  return { from: nowMinute - minutes + 1, to: nowMinute + 1 };
}

/** The feed came back lost (changes pruned before this book read them): load again. */
export class FeedLostError extends Error {
  constructor() {
    super('the change feed was pruned past this reader: reading everything again');
  }
}

export class RollupBook {
  private families = new Map<string, Family>();
  private feed: RollupFeed | null = null;
  /** The minute every window ends at; null until loaded. */
  private nowMinute: number | null = null;
  /** Window lengths in minutes, shortest first (the families' window order). */
  readonly windows: readonly number[];
  private readonly longest: number;
  private readonly chunk: number | null;
  /** Minutes the feed changed since takeChanged(); null: since a load (no list). */
  private changed: Set<number> | null = null;

  constructor(private readonly o: RollupBookOptions) {
    this.windows = [...new Set(o.windowsMinutes)].sort((a, b) => a - b);
    this.longest = Math.max(1, ...this.windows);
    this.chunk = o.chunkMinutes ?? null;
  }

  family(labels: readonly string[]): Family | undefined {
    return this.families.get(familyKey(labels as FamilySpec['labels']));
  }

  /** The minute the windows end at, or null before the first load. */
  get minute(): number | null {
    return this.nowMinute;
  }

  /** Whether refresh() can move to `nowMinute`: loaded, not backwards, not a huge jump. */
  canRefresh(nowMinute: number): boolean {
    const at = this.nowMinute;
    return at !== null && nowMinute >= at && nowMinute - at <= RollupBookDefaults.maxStepMinutes;
  }

  /** Reads the longest window ending at `nowMinute` from a new feed reader. */
  async load(nowMinute: number): Promise<void> {
    const families = new Map<string, Family>();
    for (const spec of this.o.families) {
      families.set(familyKey(spec.labels), new Family(spec, this.windows));
    }
    const feed = this.o.store.rollupFeed();
    const from = nowMinute - this.longest + 1;
    let chunk = this.chunk ?? RollupBookDefaults.firstChunkMinutes;
    // Minutes [from, read) are in the totals; a change to one of them is added, others wait for
    // their own read.
    for (let read = from; read <= nowMinute;) {
      const end = Math.min(nowMinute + 1, read + chunk);
      const result = await feed.read([minutes(read, end)]);
      if (result.lost) throw new FeedLostError();
      const done = read;
      for (const c of result.changes) {
        const m = minuteOf(c.key.minuteMs);
        if (m < from || m >= done) continue;
        const w = this.firstWindow(nowMinute - m);
        for (const f of families.values()) f.addChange(c, w, this.windows.length);
      }
      this.addRows(families, result.rows, nowMinute);
      read = end;
      if (read > nowMinute) break;
      if (this.chunk === null) chunk = nextChunkMinutes(end - done, result.rows.length);
      // Let requests in between: a load of a large store reads for seconds.
      await nextTurn();
      if (this.o.stopping?.()) throw new Error('the SLO engine is stopping');
    }
    // Swapped in whole: an evaluation never sees a half-loaded book.
    this.changed = null;
    this.families = families;
    this.feed = feed;
    this.nowMinute = nowMinute;
  }

  /**
   * Adds what was committed since the last read and moves the windows to end at `nowMinute`
   * (see the top). Throws FeedLostError when the feed lost changes: the caller loads again.
   */
  async refresh(nowMinute: number): Promise<void> {
    const at = this.nowMinute;
    if (at === null || this.feed === null || !this.canRefresh(nowMinute)) {
      throw new Error('RollupBook.refresh: load first');
    }
    const result = await this.feed.read(this.edges(at, nowMinute));
    if (result.lost) throw new FeedLostError();
    const n = this.windows.length;
    for (const c of result.changes) {
      this.changed?.add(minuteOf(c.key.minuteMs));
      const age = at - minuteOf(c.key.minuteMs);
      if (age < 0 || age >= this.longest) continue; // not in any window as they stand
      const w = this.firstWindow(age);
      for (const f of this.families.values()) f.addChange(c, w, n);
    }
    for (const row of result.rows) {
      const m = minuteOf(row.minuteMs);
      for (let w = 0; w < n; w += 1) {
        const length = this.windows[w]!;
        const was = m <= at && m > at - length;
        const is = m <= nowMinute && m > nowMinute - length;
        if (was === is) continue;
        for (const f of this.families.values()) f.addRow(row, is ? 1 : -1, w, w + 1);
      }
    }
    this.nowMinute = nowMinute;
  }

  /**
   * The minutes the change feed changed since the previous call (any minute, in a window or not),
   * or null when the book was loaded since (a load gives no list): see recent-bad.ts.
   */
  takeChanged(): ReadonlySet<number> | null {
    const out = this.changed;
    this.changed = new Set();
    return out;
  }

  /** Bytes held by every family's totals. */
  get bytes(): number {
    let total = 0;
    for (const f of this.families.values()) total += f.bytes;
    return total;
  }

  /**
   * The minutes the windows lose and gain moving from `at` to `to`, as disjoint ranges: each
   * window's oldest minutes, and the new minutes every window gains.
   */
  private edges(at: number, to: number): RollupQuery[] {
    if (to === at) return [];
    const spans: [number, number][] = this.windows.map((l) => [at - l + 1, to - l + 1]);
    spans.push([at + 1, to + 1]);
    spans.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [lo, hi] of spans) {
      const last = merged[merged.length - 1];
      if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
      else merged.push([lo, hi]);
    }
    return merged.map(([lo, hi]) => minutes(lo, hi));
  }

  /** The index of the shortest window that holds a minute `age` minutes before its end. */
  private firstWindow(age: number): number {
    let w = 0;
    while (w < this.windows.length && this.windows[w]! <= age) w += 1;
    return w;
  }

  private addRows(families: Map<string, Family>, rows: readonly RollupRow[], at: number): void {
    const n = this.windows.length;
    for (const row of rows) {
      const w = this.firstWindow(at - minuteOf(row.minuteMs));
      for (const f of families.values()) f.addRow(row, 1, w, n);
    }
  }
}

function minuteOf(ms: number): number {
  return Math.floor(ms / MinuteMs);
}

/** Epoch minutes [from, to) as a store query. */
function minutes(from: number, to: number): RollupQuery {
  return { fromMs: from * MinuteMs, toMs: to * MinuteMs };
}

/** Lets the event loop serve what waits (I/O, timers) before going on. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
