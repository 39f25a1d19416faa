// A growing sample of times to ready, kept sorted as boots arrive, so that each verdict reads it
// as it is (no sort per poll). Insertion finds the place by binary search and shifts the tail:
// boots arrive roughly in time order but their times to ready do not, so the shift is O(n) in
// memory moves, which copyWithin does at memory speed (100,000 values: tens of microseconds).

export class SortedSample {
  private data: Float64Array;
  private size = 0;

  constructor(capacity = 64) {
    this.data = new Float64Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.size;
  }

  insert(value: number): void {
    if (!Number.isFinite(value))
      throw new RangeError(`a time to ready must be finite, got ${value}`);
    if (this.size === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const at = upperBound(this.data, this.size, value);
    this.data.copyWithin(at + 1, at, this.size);
    this.data[at] = value;
    this.size += 1;
  }

  /**
   * Removes one occurrence of `value` (a boot's time taken back by a correction); false when the
   * sample holds none. The same shift as insert, the other way.
   */
  remove(value: number): boolean {
    const at = upperBound(this.data, this.size, value) - 1;
    if (at < 0 || this.data[at] !== value) return false;
    this.data.copyWithin(at, at + 1, this.size);
    this.size -= 1;
    return true;
  }

  /** The sorted values, without copying: valid until the next insert or remove. */
  view(): Float64Array {
    return this.data.subarray(0, this.size);
  }
}

/** The first index in sorted[0..size) whose value is greater than `value`. */
export function upperBound(sorted: Float64Array, size: number, value: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The median of a sorted sample; null when empty. */
export function sortedMedian(sorted: Float64Array): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const mid = n >>> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
