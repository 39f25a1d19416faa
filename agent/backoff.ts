// The agent's one backoff, for IMDS while it starts and for the collector while it is away.

/**
 * Backoff before retry number `attempt` (0-based): "equal jitter", half fixed and half random,
 * under a ceiling that doubles from initialMs up to maxMs. With 100 ms and 2000 ms the ceilings
 * are 100, 200, 400, 800, 1600, 2000, 2000...; attempt 2 sleeps 200..400 ms. The fixed half
 * guarantees progress; the random half keeps a fleet booting together from polling in lockstep.
 */
export function backoffDelayMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
