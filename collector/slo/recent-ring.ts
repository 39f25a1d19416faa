// The minutes of the correction horizon (the last 2 hours by default), per group, in a ring of one
// slot per minute, with each group's sums over the windows ending at the horizon's last minute
// (the windows within the horizon, and the whole horizon for longer ones). A re-read minute
// replaces its slot and adds the difference to the windows holding it; when the horizon moves on,
// each window subtracts the minutes that left it. The work follows the minutes re-read or passed,
// not the slots held, and the sums stay exact integers.
//
// Worked example, horizon 3 minutes, a 2-minute window, one channel: minutes 100..102 live in
// slots 100 % 3 = 1, 2 and 0 and hold 4, 0 and 1; the window holds minutes 101 and 102: 1.
// Re-reading minute 102 as 3 adds 2 to the window (3). When minute 103 begins, the window loses
// minute 101 (0) and the horizon loses minute 100 (4, settled by the caller): slot 1 is zeroed and
// holds minute 103, which counts in the window once read.
export class RecentRing {
  /** By group id (family.ts numbers its groups). */
  private readonly groups = new Map<number, GroupRing>();
  /** The first minute of the horizon (inclusive); the windows end at its last. */
  private base = 0;
  private readonly delta: Float64Array;

  /** `lengths`: the windows kept, in minutes, each at most `minutes` (the horizon). */
  constructor(
    private readonly minutes: number,
    private readonly channels: number,
    readonly lengths: readonly number[],
  ) {
    this.delta = new Float64Array(channels);
  }

  /** The horizon's last minute: where every window kept ends. */
  get lastMinute(): number {
    return this.base + this.minutes - 1;
  }

  /** Moves the horizon to start at `base`, dropping the minutes before it. */
  moveTo(base: number): void {
    if (base <= this.base) return;
    const end = this.base + this.minutes;
    const shift = base - this.base;
    const c = this.channels;
    for (const [key, g] of this.groups) {
      if (g.lastMinute < base) {
        this.groups.delete(key);
        continue;
      }
      // A window of L minutes held [end - L, end): it loses the `shift` oldest of them.
      this.lengths.forEach((length, r) => {
        const stop = Math.min(end, end - length + shift);
        for (let m = end - length; m < stop; m += 1) {
          const slot = m % this.minutes;
          if (g.filled[slot] === 0) continue;
          for (let k = 0; k < c; k += 1) g.sums[r * c + k]! -= g.values[slot * c + k]!;
        }
      });
      for (let m = this.base; m < Math.min(end, base); m += 1) {
        const slot = m % this.minutes;
        if (g.filled[slot] === 0) continue;
        g.values.fill(0, slot * c, (slot + 1) * c);
        g.filled[slot] = 0;
      }
    }
    this.base = base;
  }

  /** Replaces the minutes [from, to) with `next` (group -> minute -> counts; absent is zero). */
  replace(
    from: number,
    to: number,
    next: ReadonlyMap<number, ReadonlyMap<number, Float64Array>>,
  ): void {
    const lo = Math.max(from, this.base);
    const hi = Math.min(to, this.base + this.minutes);
    for (const [key, g] of this.groups) {
      const mine = next.get(key);
      for (let m = lo; m < hi; m += 1) this.set(g, m, mine?.get(m));
    }
    for (const [key, byMinute] of next) {
      if (this.groups.has(key)) continue;
      let g: GroupRing | undefined;
      for (const [m, values] of byMinute) {
        if (m < lo || m >= hi || values.every((v) => v === 0)) continue;
        if (!g) this.groups.set(key, (g = this.newGroup()));
        this.set(g, m, values);
      }
    }
  }

  /**
   * Adds a group's sums to `out`: window w of the caller's at out[at + w * channels ..], from the
   * ring's window ring[w] (an index into `lengths`).
   */
  addSums(group: number, ring: readonly number[], out: Float64Array, at: number): void {
    const g = this.groups.get(group);
    if (!g) return;
    const c = this.channels;
    for (let w = 0; w < ring.length; w += 1) {
      const from = ring[w]! * c;
      const to = at + w * c;
      for (let k = 0; k < c; k += 1) out[to + k]! += g.sums[from + k]!;
    }
  }

  get bytes(): number {
    let total = 0;
    for (const g of this.groups.values()) {
      total += g.values.byteLength + g.sums.byteLength + g.filled.byteLength;
    }
    return total;
  }

  /** Sets minute m of a group (undefined: no counts), adding the difference to its windows. */
  private set(g: GroupRing, m: number, values: Float64Array | undefined): void {
    const c = this.channels;
    const slot = m % this.minutes;
    if (!values && g.filled[slot] === 0) return;
    let changed = false;
    let filled = 0;
    for (let k = 0; k < c; k += 1) {
      const v = values ? values[k]! : 0;
      const d = v - g.values[slot * c + k]!;
      this.delta[k] = d;
      if (d !== 0) changed = true;
      if (v !== 0) filled = 1;
    }
    if (!changed) return;
    for (let k = 0; k < c; k += 1) g.values[slot * c + k] = values ? values[k]! : 0;
    g.filled[slot] = filled;
    if (filled === 1 && m > g.lastMinute) g.lastMinute = m;
    const end = this.base + this.minutes;
    this.lengths.forEach((length, r) => {
      if (m < end - length) return;
      for (let k = 0; k < c; k += 1) g.sums[r * c + k]! += this.delta[k]!;
    });
  }

  private newGroup(): GroupRing {
    return {
      values: new Float64Array(this.minutes * this.channels),
      filled: new Uint8Array(this.minutes),
      sums: new Float64Array(this.lengths.length * this.channels),
      lastMinute: -1,
    };
  }
}

interface GroupRing {
  values: Float64Array;
  /** 1 where the slot holds any count: a group's empty slots are skipped without reading them. */
  filled: Uint8Array;
  /** Per window kept (`lengths`), the sums of its minutes. */
  sums: Float64Array;
  /** The latest minute that had counts: a group quiet for the whole horizon is dropped. */
  lastMinute: number;
}
