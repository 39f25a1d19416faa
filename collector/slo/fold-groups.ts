// Bounded label cardinality for the SLO gauges (DESIGN.md, exposure): per SLO, the `cap` most
// recently active groups keep their labels; the rest, and AMI version `unknown`, are exported as
// one group per remaining label set with ami_version and ami_id `other`. A folded group is
// evaluated from the summed counts of its members, never from averaged ratios; it alerts when a
// member alerts (the API and the Alertmanager push keep every group apart).
import { OtherLabelValue, UnknownVersion } from '../../shared/conventions.js';
import { budgetRatio, budgetRemaining, burnRate, errorRatio } from '../../shared/slo/budget.js';
import type { AlertLevel, GroupStatus, SloStatus, WindowStatus } from './report.js';
import { NoEvents } from './report.js';

const Folded = ['ami_version', 'ami_id'];

export function foldGroups(slo: SloStatus, cap: number): GroupStatus[] {
  if (!slo.groupBy.some((l) => Folded.includes(l))) return slo.groups;
  const ranked = [...slo.groups]
    .filter((g) => g.labels.ami_version !== UnknownVersion)
    .sort((a, b) => (b.lastEventAt ?? '').localeCompare(a.lastEventAt ?? ''));
  const kept = new Set(ranked.slice(0, cap));
  const out: GroupStatus[] = [];
  const folded = new Map<string, GroupStatus[]>();
  for (const g of slo.groups) {
    if (kept.has(g)) {
      out.push(g);
      continue;
    }
    const labels = foldedLabels(g.labels);
    const key = JSON.stringify(labels);
    folded.set(key, [...(folded.get(key) ?? []), g]);
  }
  for (const members of folded.values()) out.push(merge(slo, members));
  return out;
}

function foldedLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[k] = Folded.includes(k) ? OtherLabelValue : v;
  return out;
}

const Severity: AlertLevel[] = ['none', 'ticket', 'page'];

function merge(slo: SloStatus, members: GroupStatus[]): GroupStatus {
  const first = members[0]!;
  const windows = first.windows.map((w): WindowStatus => {
    let events = 0;
    let errors = 0;
    for (const m of members) {
      const same = m.windows.find((x) => x.windowMs === w.windowMs);
      events += same?.events ?? 0;
      errors += same?.errors ?? 0;
    }
    const ratio = errorRatio({ events, errors });
    return {
      window: w.window,
      windowMs: w.windowMs,
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
