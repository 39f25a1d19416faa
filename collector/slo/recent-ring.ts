// The minutes of the correction horizon (the last 2 hours by default), per group, in a ring of one
// slot per minute: a re-read of any minutes replaces exactly those minutes, and window sums use
// per-group prefix sums over the slots, rebuilt only for a group whose slots changed.
//
// Worked example, horizon 3 minutes, one channel: minutes 100..102 live in slots 100 % 3 = 1,
// 2 and 0. Re-reading minute 101 zeroes slot 2 and adds the rows read. When minute 103 begins,
// minute 100 leaves the horizon: its slot is zeroed (the caller has settled it) and reused. The
// sum over minutes [101, 103) covers slots 2 and 0: it wraps, so it is (P[3] - P[2]) + (P[1] - P[0]).
export class RecentRing {
  private readonly groups = new Map<string, GroupRing>();
  /** The first minute of the horizon (inclusive). */
  private base = 0;

  constructor(
    private readonly minutes: number,
    private readonly channels: number,
  ) {}

  /** Moves the horizon to start at `base`, dropping the minutes before it. */
  moveTo(base: number): void {
    if (base <= this.base) return;
    const dropped = Math.min(this.minutes, base - this.base);
    for (const [key, g] of this.groups) {
      if (g.lastMinute < base) {
        this.groups.delete(key);
        continue;
      }
      for (let k = 0; k < dropped; k += 1) this.zero(g, this.base + k);
    }
    this.base = base;
  }

  /**
   * Replaces the minutes [from, to) with `next` (group -> minute -> counts; absent is zero). A
   * slot re-read with the counts it already held leaves its group's prefix sums valid.
   */
  replace(
    from: number,
    to: number,
    next: ReadonlyMap<string, ReadonlyMap<number, Float64Array>>,
  ): void {
    const lo = Math.max(from, this.base);
    const hi = Math.min(to, this.base + this.minutes);
    const c = this.channels;
    for (const [key, g] of this.groups) {
      const mine = next.get(key);
      for (let m = lo; m < hi; m += 1) {
        const values = mine?.get(m);
        if (!values) {
          this.zero(g, m);
          continue;
        }
        const row = (m % this.minutes) * c;
        let same = true;
        for (let k = 0; k < c && same; k += 1) same = g.values[row + k] === values[k];
        if (same) continue;
        g.values.set(values, row);
        g.dirty = true;
        if (m > g.lastMinute) g.lastMinute = m;
      }
    }
    for (const [key, byMinute] of next) {
      if (this.groups.has(key)) continue;
      for (const [m, values] of byMinute) if (m >= lo && m < hi) this.add(key, m, values);
    }
  }

  /** Adds counts to a new group's minute (inside the horizon; others are ignored). */
  private add(group: string, minute: number, values: ArrayLike<number>): void {
    if (minute < this.base || minute >= this.base + this.minutes) return;
    let g = this.groups.get(group);
    if (!g) {
      g = {
        values: new Float64Array(this.minutes * this.channels),
        prefix: new Float64Array((this.minutes + 1) * this.channels),
        dirty: true,
        lastMinute: minute,
      };
      this.groups.set(group, g);
    }
    const row = (minute % this.minutes) * this.channels;
    for (let k = 0; k < this.channels; k += 1) g.values[row + k]! += values[k] ?? 0;
    if (minute > g.lastMinute) g.lastMinute = minute;
    g.dirty = true;
  }

  /** Adds a group's sums over minutes [from, to) to `out` (channels in `picks`, or all). */
  addRange(
    group: string,
    from: number,
    to: number,
    out: Float64Array,
    picks?: readonly number[],
  ): void {
    const g = this.groups.get(group);
    if (!g) return;
    const lo = Math.max(from, this.base);
    const hi = Math.min(to, this.base + this.minutes);
    if (hi <= lo) return;
    if (g.dirty) this.rebuild(g);
    const first = lo % this.minutes;
    const last = ((hi - 1) % this.minutes) + 1;
    if (first < last) {
      this.addSlots(g, first, last, out, picks);
    } else {
      this.addSlots(g, first, this.minutes, out, picks);
      this.addSlots(g, 0, last, out, picks);
    }
  }

  get bytes(): number {
    let total = 0;
    for (const g of this.groups.values()) total += g.values.byteLength + g.prefix.byteLength;
    return total;
  }

  private addSlots(
    g: GroupRing,
    from: number,
    to: number,
    out: Float64Array,
    picks?: readonly number[],
  ): void {
    const c = this.channels;
    if (picks) {
      for (const k of picks) out[k]! += g.prefix[to * c + k]! - g.prefix[from * c + k]!;
    } else {
      for (let k = 0; k < c; k += 1) out[k]! += g.prefix[to * c + k]! - g.prefix[from * c + k]!;
    }
  }

  /** Zeroes a minute's slot; the group's prefix sums are stale only if the slot held counts. */
  private zero(g: GroupRing, minute: number): void {
    const row = (minute % this.minutes) * this.channels;
    for (let k = 0; k < this.channels; k += 1) {
      if (g.values[row + k] !== 0) {
        g.values.fill(0, row, row + this.channels);
        g.dirty = true;
        return;
      }
    }
  }

  /** Prefix sums in slot order: prefix[s] = sum of slots before s. */
  private rebuild(g: GroupRing): void {
    const c = this.channels;
    for (let s = 0; s < this.minutes; s += 1) {
      for (let k = 0; k < c; k += 1) {
        g.prefix[(s + 1) * c + k] = g.prefix[s * c + k]! + g.values[s * c + k]!;
      }
    }
    g.dirty = false;
  }
}

interface GroupRing {
  values: Float64Array;
  prefix: Float64Array;
  dirty: boolean;
  /** The latest minute that had counts: a group quiet for the whole horizon is dropped. */
  lastMinute: number;
}
