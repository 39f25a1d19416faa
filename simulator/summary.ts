// Text for people: the per-version table of what the collector stored, how it compares with what
// the simulation planned, and progress lines. Pure.
import type { VersionStats } from '../collector/routes/image-stats.js';
import { tallyPlan, type InstancePlan, type PlannedOutcome } from './fleet-plan.js';
import type { SimulationProgress } from './run-simulation.js';

/** Columns padded to their widest cell; numbers right-aligned. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[\d.,%() s-]*$/.test(r[i] ?? '')),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const Outcomes: PlannedOutcome[] = ['success', 'cloud_init_error', 'probe_timeout', 'no_report'];

function seconds(value: number | null): string {
  return value === null ? '-' : `${Math.round(value)} s`;
}

/** Per AMI version: first boots decided, successes, failures by reason, time to ready. */
export function formatVersionStats(stats: readonly VersionStats[]): string {
  if (stats.length === 0) return '(no boots decided yet)';
  const reasons = [...new Set(stats.flatMap((s) => Object.keys(s.failures)))].sort();
  const headers = ['AMI version', 'launches', 'success', ...reasons, 'p50', 'p95'];
  const rows = stats.map((s) => [
    s.amiVersion,
    String(s.launches),
    s.successRatio === null ? '-' : `${s.successes} (${(s.successRatio * 100).toFixed(1)}%)`,
    ...reasons.map((r) => String(s.failures[r] ?? 0)),
    seconds(s.timeToReadySeconds.p50),
    seconds(s.timeToReadySeconds.p95),
  ]);
  return renderTable(headers, rows);
}

/**
 * Planned outcomes against stored ones, per version: lines naming each difference, or one line
 * saying they all match. A difference is worth a look: the collector (or the agent) decided a
 * boot otherwise than the simulation meant it.
 */
export function comparePlanWithStored(
  plans: readonly InstancePlan[],
  stats: readonly VersionStats[],
): string[] {
  const stored = new Map(stats.map((s) => [s.amiVersion, s]));
  const differences: string[] = [];
  for (const [version, planned] of tallyPlan(plans)) {
    const s = stored.get(version);
    for (const outcome of Outcomes) {
      const got =
        s === undefined ? 0 : outcome === 'success' ? s.successes : (s.failures[outcome] ?? 0);
      if (got !== planned[outcome]) {
        differences.push(`${version} ${outcome}: planned ${planned[outcome]}, stored ${got}`);
      }
    }
  }
  return differences;
}

/** e.g. `day 1.5 of 2.2  launched 120/240  reported 110` */
export function formatProgress(p: SimulationProgress): string {
  const day = (ms: number) => (ms / 86_400_000).toFixed(1);
  const elapsed = Math.max(0, p.simNowMs - p.timeline.startMs);
  const total = p.timeline.endMs - p.timeline.startMs;
  const undelivered = p.notDelivered > 0 ? `  not delivered ${p.notDelivered}` : '';
  return (
    `day ${day(Math.min(elapsed, total))} of ${day(total)}  ` +
    `launched ${p.launched}/${p.planned}  reported ${p.reported}${undelivered}`
  );
}
