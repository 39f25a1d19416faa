// Bounded label cardinality for the SLO gauges (DESIGN.md, exposure): per SLO, the `cap` most
// recently active groups keep their labels; the rest, and AMI version `unknown`, are exported as
// one group whose every label is `other`, so that an SLO exports at most cap + 1 groups whatever
// it groups by (an Auto Scaling group name is as unbounded as a version). A folded group is
// evaluated from the summed counts of its members, never from averaged ratios; it alerts when a
// member alerts (the API and the Alertmanager push keep every group apart).
import { OtherLabelValue, UnknownVersion } from '../../shared/conventions.js';
import { budgetRatio, budgetRemaining, burnRate, errorRatio } from '../../shared/slo/budget.js';
import { formatDuration } from '../../shared/duration.js';
import type { AlertLevel, GroupStatus, SloStatus, WindowStatus } from './report.js';
import { NoEvents } from './report.js';

export function foldGroups(slo: SloStatus, cap: number): GroupStatus[] {
  if (slo.groupBy.length === 0) return slo.groups;
  // Each group's key read once: sorting calls the comparator n log n times.
  const ranked = slo.groups
    .filter((g) => g.labels.ami_version !== UnknownVersion)
    .map((g) => ({ g, last: g.lastEventAt ?? '' }))
    .sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : 0));
  const kept = new Set(ranked.slice(0, cap).map((x) => x.g));
  const out = slo.groups.filter((g) => kept.has(g));
  const folded = slo.groups.filter((g) => !kept.has(g));
  if (folded.length > 0) out.push(merge(slo, folded));
  return out;
}

function foldedLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels)) out[k] = OtherLabelValue;
  return out;
}

const Severity: AlertLevel[] = ['none', 'ticket', 'page'];

/**
 * The members' summed counts over every window. From the groups' counts when they have them (the
 * engine's groups): twenty thousand versions then cost a few additions each, not twenty thousand
 * window statuses built for nothing.
 */
function summed(
  slo: SloStatus,
  members: GroupStatus[],
): Map<number, { events: number; errors: number }> {
  const first = members[0]!;
  const windowsMs = slo.windowsMs ?? first.windows.map((w) => w.windowMs);
  const sums = windowsMs.map(() => ({ events: 0, errors: 0 }));
  for (const m of members) {
    for (let i = 0; i < windowsMs.length; i += 1) {
      const c = m.counts ? m.counts(i) : m.windows.find((x) => x.windowMs === windowsMs[i]);
      sums[i]!.events += c?.events ?? 0;
      sums[i]!.errors += c?.errors ?? 0;
    }
  }
  return new Map(windowsMs.map((ms, i) => [ms, sums[i]!]));
}

function merge(slo: SloStatus, members: GroupStatus[]): GroupStatus {
  const first = members[0]!;
  const windows = [...summed(slo, members)].map(([windowMs, { events, errors }]): WindowStatus => {
    const ratio = errorRatio({ events, errors });
    return {
      window: formatDuration(windowMs),
      windowMs,
      events,
      errors,
      sliRatio: ratio === null ? null : Math.max(0, 1 - ratio),
      errorRatio: ratio,
      burnRate: burnRate({ events, errors }, slo.objective),
      ...(ratio === null ? { note: NoEvents } : {}),
    };
  });
  const whole = windows.find((w) => w.windowMs === slo.windowMs) ?? { events: 0, errors: 0 };
  const remaining = budgetRemaining(whole, slo.objective);
  return {
    labels: foldedLabels(first.labels),
    sliRatio: windows.find((w) => w.windowMs === slo.windowMs)?.sliRatio ?? null,
    budget: {
      allowedErrors: budgetRatio(slo.objective) * whole.events,
      errors: whole.errors,
      remaining,
      ...(remaining === null ? { note: NoEvents } : {}),
    },
    windows,
    tiers: [],
    alert: members.reduce<AlertLevel>(
      (level, m) => (Severity.indexOf(m.alert) > Severity.indexOf(level) ? m.alert : level),
      'none',
    ),
    lastEventAt: first.lastEventAt,
  };
}
