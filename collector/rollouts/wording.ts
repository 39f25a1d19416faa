// How the verdict writes numbers in its details, so that every check reads alike.

/** A ratio as a percentage with up to 3 significant digits: 0.0012 -> "0.12%". */
export function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(3))}%`;
}

/** A p-value or level: plain above 0.001, scientific below. 0.0000123 -> "1.23e-5". */
export function probability(p: number): string {
  if (p === 0) return '0';
  return p >= 0.001 ? String(Number(p.toPrecision(3))) : p.toExponential(2);
}

/** ms as seconds with one decimal: 61234 -> "61.2 s". */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** "failed 3 of 200 (1.5%)". */
export function failedOf(failures: number, boots: number): string {
  return boots > 0 ? `failed ${failures} of ${boots} (${percent(failures / boots)})` : 'no boots';
}
