// The readiness probes of one boot, run and summarised as the judge needs them (ObservedProbes),
// with a note when the agent evidently looked late: every probe passing at its first attempt, well
// after the boot's last known step, says the service was up by then, not since when.
import type { Clock } from '../shared/clock.js';
import { formatDuration } from '../shared/duration.js';
import type { ObservedProbes } from './boot-judge.js';
import type { ProbeConfig } from './config-schema.js';
import { runProbes } from './probes.js';
import { unitActive } from './systemd.js';

/**
 * How long after cloud-init finished a first-attempt pass means a late look rather than a service
 * that came up then. (The cloud-init wait polls every second, so an agent that was waiting starts
 * its probes within a second of the finish.)
 */
const LateLookMs = 5000;

/** When probes are never run (cloud-init failed or is still running): nothing was tried. */
export function probesNotRun(configured: number): ObservedProbes {
  return { configured, tried: false, allPassed: false, readyAtMs: null, failing: [] };
}

export async function observeProbes(
  probes: readonly ProbeConfig[],
  o: {
    root: string;
    deadlineMs: number;
    clock: Clock;
    /** The boot's last known step: cloud-init's finish, else the start of userspace. */
    since: { atMs: number; what: string };
  },
): Promise<{ probes: ObservedProbes; note: string | null }> {
  const from = o.clock.now();
  const run = await runProbes(probes, {
    root: o.root,
    deadlineMs: o.deadlineMs,
    clock: o.clock,
    unitActive: async (unit: string) => {
      const r = await unitActive(unit);
      return r.available && r.active;
    },
  });
  const observed: ObservedProbes = {
    configured: probes.length,
    tried: run.results.some((r) => r.attempts > 0),
    allPassed: run.allPassed,
    readyAtMs: probes.length > 0 ? run.readyAt : null,
    failing: run.results
      .filter((r) => !r.passed)
      .map((r) => `${r.name}: ${r.lastError ?? 'not passing'}`),
  };
  const lateBy = Math.round((from - o.since.atMs) / 1000) * 1000;
  const firstTry = run.results.length > 0 && run.results.every((r) => r.attempts === 1);
  const note =
    run.allPassed && firstTry && lateBy >= LateLookMs
      ? `every probe passed at its first attempt, ${formatDuration(lateBy)} after ${o.since.what}: ` +
        'the boot may have been ready earlier (its time to ready is an upper bound)'
      : null;
  return { probes: observed, note };
}
