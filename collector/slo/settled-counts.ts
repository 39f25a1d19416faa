// The settled per-minute counts of a family (minutes past the correction horizon, which no longer
// change) and their sums over each window longer than the horizon, kept current as time passes,
// so that an evaluation reads one total per group and window instead of searching the counts:
// its cost follows the boots that settled or left a window since the last one, not the boots held.
//
// The counts are one log of cells in minute order, every group together: (minute, group, counts).
// Each window keeps a cursor on its first cell and, per group, the total of the cells from its
// cursor to the end of the log. A newly settled cell is added to every window's totals; when a
// window's start moves on, its cursor passes the cells that left and subtracts them. The ring of
// recent minutes (recent-ring.ts) adds the rest of each window, from the settled edge to now.
//
// Worked example, one channel, one group, a 3-minute window, cells at minutes 10, 11 and 13 with
// counts 2, 1 and 4. At minute 13 the window holds minutes [11, 14): cursor on minute 11's cell,
// total 1 + 4 = 5. At minute 14 it holds [12, 15): the cursor passes minute 11 (total 4) and stops
// on minute 13's cell. A cell of minute 14 settling adds to the total: 4 + its count.
//
// Totals are float64 sums of integers: exact below 2^53 (9e15 boots), so they never drift.

import { firstAtOrAfter } from './prefix-log.js';

/** A cell holds 16-bit counts; a larger count is split over several cells of the same minute. */
const CellMax = 0xffff;

export class SettledCounts {
  private minutes = new Int32Array(0);
  private groupOf = new Int32Array(0);
  private values = new Uint16Array(0);
  private cells = 0;
  /** Per group, its latest cell: a second row of the same minute is merged into it (or -1). */
  private latest = new Int32Array(0);
  private groups = 0;
  /** Per window, its first cell (the cursor). */
  private readonly starts: Int32Array;
  /** Per group, window and channel: the sum of the group's cells from the window's cursor on. */
  private totals = new Float64Array(0);
  /** The minute the windows end at; null until the first moveTo (no totals kept until then). */
  private now: number | null = null;
  private readonly chunk: Float64Array;

  /** `windows`: the windows' lengths in minutes, each longer than the correction horizon. */
  constructor(
    readonly channels: number,
    readonly windows: readonly number[],
  ) {
    this.starts = new Int32Array(windows.length);
    this.chunk = new Float64Array(channels);
  }

  get length(): number {
    return this.cells;
  }

  /**
   * Adds a group's counts (non-negative integers, as the store's schema keeps them) at `minute`.
   * Minutes must not go backwards: an earlier one is a bug in the caller (the log is in order).
   */
  add(minute: number, group: number, values: ArrayLike<number>): void {
    const c = this.channels;
    let over = false;
    for (let k = 0; k < c; k += 1) {
      const v = values[k]!;
      if (!(Number.isInteger(v) && v >= 0)) {
        throw new Error(`SettledCounts.add: count ${v} is not a non-negative integer`);
      }
      if (v > CellMax) over = true;
    }
    // Without a window longer than the horizon, no evaluation reads settled counts.
    if (this.windows.length === 0) return;
    const last = this.cells > 0 ? this.minutes[this.cells - 1]! : minute;
    if (minute < last) throw new Error(`SettledCounts.add: minute ${minute} is before ${last}`);
    if (group >= this.groups) this.addGroups(group + 1);
    const at = this.latest[group]!;
    if (!over && at >= 0 && this.minutes[at] === minute && this.fits(at, values)) {
      this.addTo(at, values);
      return;
    }
    if (!over) {
      this.append(minute, group, values);
      return;
    }
    const rest = Float64Array.from({ length: c }, (_, k) => values[k]!);
    while (rest.some((v) => v > 0)) {
      for (let k = 0; k < c; k += 1) {
        this.chunk[k] = Math.min(rest[k]!, CellMax);
        rest[k]! -= this.chunk[k]!;
      }
      this.append(minute, group, this.chunk);
    }
  }

  /**
   * Moves every window to end at `nowMinute`: window w then starts at nowMinute - windows[w] + 1.
   * Forward, the cursors pass the cells that left; the first time, or backwards, the totals are
   * summed again from the cells held (backwards, cells past `nowMinute` still count: the engine
   * reads everything again when its clock goes back).
   */
  moveTo(nowMinute: number): void {
    if (this.now === null || nowMinute < this.now) {
      this.rebuild(nowMinute);
      return;
    }
    const c = this.channels;
    const n = this.windows.length;
    for (let w = 0; w < n; w += 1) {
      const from = nowMinute - this.windows[w]! + 1;
      let s = this.starts[w]!;
      while (s < this.cells && this.minutes[s]! < from) {
        const t = (this.groupOf[s]! * n + w) * c;
        const v = s * c;
        for (let k = 0; k < c; k += 1) this.totals[t + k]! -= this.values[v + k]!;
        s += 1;
      }
      this.starts[w] = s;
    }
    this.now = nowMinute;
  }

  /** Adds the settled sums of `group` over window `w` to out[at .. at + channels). */
  addTotals(group: number, w: number, out: Float64Array, at: number): void {
    if (group >= this.groups || this.now === null) return;
    const c = this.channels;
    const t = (group * this.windows.length + w) * c;
    for (let k = 0; k < c; k += 1) out[at + k]! += this.totals[t + k]!;
  }

  /**
   * Drops the cells no window holds any more and gives back the room grown for cells that never
   * came (after a load), keeping room for a sixteenth more: a few days of cells at a steady rate.
   */
  compact(): void {
    this.dropDead();
    const room = this.cells + Math.max(1024, this.cells >> 4);
    if (this.minutes.length > room) this.resize(room);
  }

  /** Bytes held, for the benchmark's memory figure. */
  get bytes(): number {
    return (
      this.minutes.byteLength +
      this.groupOf.byteLength +
      this.values.byteLength +
      this.latest.byteLength +
      this.totals.byteLength
    );
  }

  /** Whether adding `values` to cell `at` keeps every count within 16 bits. */
  private fits(at: number, values: ArrayLike<number>): boolean {
    const c = this.channels;
    for (let k = 0; k < c; k += 1) {
      if (this.values[at * c + k]! + values[k]! > CellMax) return false;
    }
    return true;
  }

  private addTo(at: number, values: ArrayLike<number>): void {
    const c = this.channels;
    for (let k = 0; k < c; k += 1) this.values[at * c + k]! += values[k]!;
    if (this.now === null) return;
    const g = this.groupOf[at]!;
    for (let w = 0; w < this.windows.length; w += 1) {
      if (at < this.starts[w]!) continue; // the cell has left this window
      const t = (g * this.windows.length + w) * c;
      for (let k = 0; k < c; k += 1) this.totals[t + k]! += values[k]!;
    }
  }

  private append(minute: number, group: number, values: ArrayLike<number>): void {
    if (this.cells === this.minutes.length) this.makeRoom();
    const at = this.cells;
    const c = this.channels;
    this.minutes[at] = minute;
    this.groupOf[at] = group;
    for (let k = 0; k < c; k += 1) this.values[at * c + k] = values[k]!;
    this.latest[group] = at;
    this.cells += 1;
    if (this.now === null) return;
    // A new cell is at or after every cursor: it counts in every window until its start passes it.
    for (let w = 0; w < this.windows.length; w += 1) {
      const t = (group * this.windows.length + w) * c;
      for (let k = 0; k < c; k += 1) this.totals[t + k]! += values[k]!;
    }
  }

  /**
   * Totals from scratch, each cell read once: cursors found by binary search; the cells from the
   * latest start on are summed into that window, those between it and the next earlier start into
   * the next one, and so on; then each window adds the totals of the window starting just after
   * it, which it contains (all end at the log's end).
   */
  private rebuild(nowMinute: number): void {
    const c = this.channels;
    const n = this.windows.length;
    this.totals.fill(0);
    for (let w = 0; w < n; w += 1) {
      this.starts[w] = this.firstAtOrAfter(nowMinute - this.windows[w]! + 1);
    }
    const latestFirst = [...this.windows.keys()].sort((a, b) => this.starts[b]! - this.starts[a]!);
    let end = this.cells;
    for (const w of latestFirst) {
      for (let i = this.starts[w]!; i < end; i += 1) {
        const t = (this.groupOf[i]! * n + w) * c;
        for (let k = 0; k < c; k += 1) this.totals[t + k]! += this.values[i * c + k]!;
      }
      end = Math.min(end, this.starts[w]!);
    }
    for (let j = 1; j < latestFirst.length; j += 1) {
      const w = latestFirst[j]!;
      const inner = latestFirst[j - 1]!;
      for (let g = 0; g < this.groups; g += 1) {
        for (let k = 0; k < c; k += 1) {
          this.totals[(g * n + w) * c + k]! += this.totals[(g * n + inner) * c + k]!;
        }
      }
    }
    this.now = nowMinute;
  }

  private firstAtOrAfter(minute: number): number {
    return firstAtOrAfter(this.minutes, this.cells, minute);
  }

  /**
   * A full log first reuses the room of the cells every window has passed, once they are an
   * eighth of it (so that each cell is copied a bounded number of times), else grows by a quarter.
   */
  private makeRoom(): void {
    if (this.dead() >= Math.max(1, this.cells >> 3)) {
      this.dropDead();
      return;
    }
    this.resize(this.cells + Math.max(1024, this.cells >> 2));
  }

  /** Cells before every cursor: no window will read them again (until a reload). */
  private dead(): number {
    if (this.now === null) return 0;
    let min = this.cells;
    for (const s of this.starts) min = Math.min(min, s);
    return min;
  }

  private dropDead(): void {
    const d = this.dead();
    if (d === 0) return;
    const c = this.channels;
    this.minutes.copyWithin(0, d, this.cells);
    this.groupOf.copyWithin(0, d, this.cells);
    this.values.copyWithin(0, d * c, this.cells * c);
    this.cells -= d;
    for (let w = 0; w < this.starts.length; w += 1) this.starts[w]! -= d;
    for (let g = 0; g < this.groups; g += 1) {
      const at = this.latest[g]!;
      this.latest[g] = at >= d ? at - d : -1;
    }
  }

  private resize(capacity: number): void {
    const c = this.channels;
    const minutes = new Int32Array(capacity);
    minutes.set(this.minutes.subarray(0, this.cells));
    const groupOf = new Int32Array(capacity);
    groupOf.set(this.groupOf.subarray(0, this.cells));
    const values = new Uint16Array(capacity * c);
    values.set(this.values.subarray(0, this.cells * c));
    this.minutes = minutes;
    this.groupOf = groupOf;
    this.values = values;
  }

  private addGroups(count: number): void {
    if (count > this.latest.length) {
      const capacity = Math.max(count, this.latest.length * 2, 16);
      const latest = new Int32Array(capacity).fill(-1);
      latest.set(this.latest.subarray(0, this.groups));
      this.latest = latest;
      const totals = new Float64Array(capacity * this.windows.length * this.channels);
      totals.set(this.totals.subarray(0, this.groups * this.windows.length * this.channels));
      this.totals = totals;
    }
    this.groups = count;
  }
}
