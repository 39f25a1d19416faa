// Where alerting groups fail (failing-in.ts) comes from the rollup rows of the last two hours that
// hold a bad boot. Read whole at every evaluation, that cost followed the boot rate: 10 of the
// 16 ms of an evaluation at a million stored boots. Kept between evaluations instead: each one
// reads again only the minutes the change feed says changed since the previous one
// (RollupBook.takeChanged) and the minutes the range gained; a load of the book (which gives no
// change list) or an evaluation with nothing alerting (whose changes nobody collected) makes the
// next read whole.
//
// A minute re-read may hold commits newer than the feed read that named it; their changes come in
// the next feed read, which names the minute again: the rows never miss a commit for longer than
// one evaluation.
import type { RollupRow } from '../model.js';
import type { RollupQuery } from '../store/store.js';
import { MinuteMs } from './family.js';

export type BadRowsReader = (query: RollupQuery) => Promise<RollupRow[]>;

export class RecentBad {
  private byMinute: Map<number, RollupRow[]> | null = null;
  /** The last minute read. */
  private through = 0;

  constructor(private readonly read: BadRowsReader) {}

  /** The next read reads the whole range. */
  forget(): void {
    this.byMinute = null;
  }

  /**
   * The bad rows of minutes [fromMinute, toMinute]. `changed`: the minutes the feed changed since
   * the previous call, or null when unknown (everything is read).
   */
  async rows(
    fromMinute: number,
    toMinute: number,
    changed: ReadonlySet<number> | null,
  ): Promise<RollupRow[]> {
    if (this.byMinute === null || changed === null) {
      const fresh = new Map<number, RollupRow[]>();
      addRows(fresh, await this.read(range(fromMinute, toMinute + 1)));
      this.byMinute = fresh;
    } else {
      const held = this.byMinute;
      for (const m of held.keys()) if (m < fromMinute) held.delete(m);
      const want = new Set<number>();
      for (const m of changed) if (m >= fromMinute && m <= toMinute) want.add(m);
      for (let m = Math.max(fromMinute, this.through + 1); m <= toMinute; m += 1) want.add(m);
      for (const [lo, hi] of runs([...want].sort((a, b) => a - b))) {
        const rows = await this.read(range(lo, hi));
        for (let m = lo; m < hi; m += 1) held.delete(m);
        addRows(held, rows);
      }
    }
    this.through = toMinute;
    return [...this.byMinute.values()].flat();
  }
}

function range(fromMinute: number, toMinute: number): RollupQuery {
  return { fromMs: fromMinute * MinuteMs, toMs: toMinute * MinuteMs };
}

function addRows(into: Map<number, RollupRow[]>, rows: readonly RollupRow[]): void {
  for (const row of rows) {
    const m = Math.floor(row.minuteMs / MinuteMs);
    const list = into.get(m);
    if (list) list.push(row);
    else into.set(m, [row]);
  }
}

/** Sorted minutes as half-open runs of consecutive minutes. */
function runs(sorted: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const m of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] === m) last[1] = m + 1;
    else out.push([m, m + 1]);
  }
  return out;
}
