// Bounds the distinct values of one label (ami_version, ami_id, region, asg, instance_type) on
// /metrics. At most `cap` values are exported as themselves; the empty value, always-folded values
// and the excess are exported as `other`, except values the label keeps (an empty asg: an instance
// outside any Auto Scaling group), which pass through and take no place under the cap. Which
// values keep their name: the most recently written ones (an AMI pipeline that bakes daily would
// otherwise see every new version folded after `cap` days, which is exactly the version a release
// decision looks at).
//
// Invariant: a value that was once folded stays folded for the life of the process. Counters are
// exported as sums over raw series; moving a value out of `other` would make `other` go down,
// which Prometheus reads as a counter reset. Moving one in only makes `other` jump up once.
//
// Worked example, cap 2: write v1, v2 -> {v1, v2}; write v1 -> v1 is the most recent; write v3 ->
// v2 (least recent) folds into other, {v1, v3}; write v2 again -> still other.
import { OtherLabelValue } from '../../shared/conventions.js';

export class LabelFolder {
  /** Admitted values in least-recently-written-first order (a Map keeps insertion order). */
  private readonly admitted = new Map<string, true>();
  private readonly folded = new Set<string>();
  /** The value of the last touch(): touching it again changes nothing (the write path's case). */
  private last: string | undefined;
  private evicted = 0;

  constructor(
    private readonly cap: number,
    private readonly alwaysFold: ReadonlySet<string> = new Set(),
    private readonly keep: ReadonlySet<string> = new Set(),
  ) {}

  /**
   * Admits values known at startup, most recent first: the first `cap` keep their name, the rest
   * fold. Call once, before any touch().
   */
  seed(mostRecentFirst: readonly string[]): void {
    const distinct = [...new Set(mostRecentFirst)].filter((v) => !this.exempt(v));
    distinct
      .slice(0, this.cap)
      .reverse()
      .forEach((v) => this.admitted.set(v, true));
    distinct.slice(this.cap).forEach((v) => this.folded.add(v));
  }

  /** Records a write of `value`: admits a new value, evicting the least recently written one. */
  touch(value: string): void {
    if (value === this.last) return;
    this.last = value;
    if (this.exempt(value) || this.folded.has(value)) return;
    if (this.admitted.delete(value)) {
      this.admitted.set(value, true);
      return;
    }
    if (this.admitted.size >= this.cap) {
      const oldest = this.admitted.keys().next().value;
      if (oldest !== undefined) {
        this.admitted.delete(oldest);
        this.folded.add(oldest);
        this.evicted += 1;
      }
    }
    this.admitted.set(value, true);
  }

  /** The exported label value. */
  fold(value: string): string {
    return this.admitted.has(value) || this.keep.has(value) ? value : OtherLabelValue;
  }

  /**
   * How many values have been folded since the seed: the only way the fold of a value already
   * written changes (admitting a new value folds nothing that was written before).
   */
  get evictions(): number {
    return this.evicted;
  }

  /** The values exported as themselves, least recently written first. */
  names(): string[] {
    return [...this.admitted.keys()];
  }

  /** Values that neither take a place nor lose one: always folded, or always kept. */
  private exempt(value: string): boolean {
    return (
      value === '' ||
      value === OtherLabelValue ||
      this.alwaysFold.has(value) ||
      this.keep.has(value)
    );
  }
}
