// Seeded randomness for the fleet simulator: the same scenario and seed plan the same fleet, so a
// run can be repeated and a test can assert on it. Pure functions over a Random (a function that
// returns uniform numbers in [0, 1)).

export type Random = () => number;

/**
 * mulberry32: a 32-bit state generator, small and fast, with a full 2^32 period; plenty for
 * thousands of simulated instances (it is not for cryptography).
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal deviate (Box-Muller; 1 - u keeps the logarithm away from 0). */
export function normal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** z of the 95th percentile of the standard normal distribution. */
const Z95 = 1.6448536269514722;

/**
 * A log-normal sample given its median and 95th percentile, the two numbers an operator knows
 * about boot times. ln(X) is normal with mu = ln(median) and sigma = (ln(p95) - mu) / z95.
 * Example: median 60 s, p95 120 s gives sigma = ln 2 / 1.645 = 0.421; one boot in twenty takes
 * longer than 120 s, and the tail is long, as boot times are.
 */
export function logNormal(random: Random, median: number, p95: number): number {
  const mu = Math.log(median);
  const sigma = (Math.log(p95) - mu) / Z95;
  return Math.exp(mu + sigma * normal(random));
}

/** Waiting time to the next event of a Poisson process with `ratePerMs` events per ms. */
export function exponential(random: Random, ratePerMs: number): number {
  return -Math.log(1 - random()) / ratePerMs;
}

/**
 * Picks a key with probability proportional to its weight. Weights are positive numbers; the
 * order of the entries decides which key a given draw maps to, so callers keep it stable.
 */
export function weightedPick<K extends string>(
  random: Random,
  weights: readonly (readonly [K, number])[],
): K {
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  let at = random() * total;
  for (const [key, weight] of weights) {
    at -= weight;
    if (at < 0) return key;
  }
  // Rounding can leave `at` a hair above zero after the last weight.
  return weights[weights.length - 1]![0];
}
