// Summaries over repeated runs: min, median, max. Figures are compared as ratios against a
// baseline measured in the same run, because these machines are shared and noisy.

export interface Summary {
  min: number;
  median: number;
  max: number;
  n: number;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0] ?? NaN, median, max: sorted[sorted.length - 1] ?? NaN, n: sorted.length };
}

export function fmt(s: Summary, digits = 1, unit = ''): string {
  return `${s.median.toFixed(digits)}${unit} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)}, n=${s.n})`;
}
