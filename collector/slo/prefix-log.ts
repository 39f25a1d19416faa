// Per-minute samples as prefix sums over typed arrays (the fleet's running and heartbeating
// instances, fleet-samples.ts): the sum of any window is two binary searches and a subtraction per
// channel, whatever the window's length. Only minutes that had a sample take a cell.
//
// Worked example, one channel: cells at minutes 10, 12, 15 with counts 2, 1, 4 store
// minutes [10, 12, 15] and cumulative sums [0, 2, 3, 7] (cum[i] = sum of cells before cell i).
// The sum over minutes [11, 16) is cum[3] - cum[1] = 7 - 2 = 5: the cells at 12 and 15.

/** A window of minutes, as epoch minute indexes: from inclusive, to exclusive. */
export interface MinuteRange {
  from: number;
  to: number;
}

export class PrefixLog {
  private minutes: Int32Array;
  /** (cells + 1) rows of `channels` cumulative sums; row 0 is zeros. Integers: exact below 2^53. */
  private cum: Float64Array;
  private cells = 0;

  constructor(
    readonly channels: number,
    capacity = 16,
  ) {
    this.minutes = new Int32Array(capacity);
    this.cum = new Float64Array((capacity + 1) * channels);
  }

  get length(): number {
    return this.cells;
  }

  /** The latest minute with a cell, or null when empty. */
  get lastMinute(): number | null {
    return this.cells === 0 ? null : this.minutes[this.cells - 1]!;
  }

  /**
   * Adds counts at `minute`. Minutes must not go backwards: a count for the last cell's minute is
   * added to it, an earlier one is a bug in the caller (the sums before it would be wrong).
   */
  add(minute: number, values: ArrayLike<number>): void {
    const c = this.channels;
    if (this.cells > 0 && minute === this.minutes[this.cells - 1]) {
      const row = this.cells * c;
      for (let k = 0; k < c; k += 1) this.cum[row + k]! += values[k] ?? 0;
      return;
    }
    if (this.cells > 0 && minute < this.minutes[this.cells - 1]!) {
      throw new Error(`PrefixLog.add: minute ${minute} is before ${this.minutes[this.cells - 1]}`);
    }
    // Grown by an eighth (at least 64 cells): the log gains a cell a minute at most.
    if (this.cells === this.minutes.length) {
      this.grow(this.cells + Math.max(64, this.cells >> 3));
    }
    this.minutes[this.cells] = minute;
    const prev = this.cells * c;
    const row = prev + c;
    for (let k = 0; k < c; k += 1) this.cum[row + k] = this.cum[prev + k]! + (values[k] ?? 0);
    this.cells += 1;
  }

  /** Adds the sums over `range` to `out` (one entry per channel). */
  addRange(range: MinuteRange, out: Float64Array): void {
    if (this.cells === 0 || range.to <= range.from) return;
    const lo = this.firstAtOrAfter(range.from);
    const hi = this.firstAtOrAfter(range.to);
    if (hi <= lo) return;
    const c = this.channels;
    for (let k = 0; k < c; k += 1) out[k]! += this.cum[hi * c + k]! - this.cum[lo * c + k]!;
  }

  /** Index of the first cell at or after `minute` (cells when there is none). */
  private firstAtOrAfter(minute: number): number {
    return firstAtOrAfter(this.minutes, this.cells, minute);
  }

  private grow(capacity: number): void {
    const minutes = new Int32Array(capacity);
    minutes.set(this.minutes.subarray(0, Math.min(capacity, this.minutes.length)));
    const cum = new Float64Array((capacity + 1) * this.channels);
    cum.set(this.cum.subarray(0, cum.length));
    this.minutes = minutes;
    this.cum = cum;
  }

  /** Bytes held, for the benchmark's memory figure. */
  get bytes(): number {
    return this.minutes.byteLength + this.cum.byteLength;
  }
}

/** The index of the first of the `length` sorted `minutes` at or after `minute` (binary search). */
export function firstAtOrAfter(minutes: Int32Array, length: number, minute: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (minutes[mid]! < minute) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
