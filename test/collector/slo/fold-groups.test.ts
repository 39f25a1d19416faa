// The SLO gauges' label bound: at most `cap` groups keep their labels, whatever the SLO groups
// by; the rest become one group labelled `other` throughout, evaluated from summed counts.
import { describe, expect, it } from 'vitest';
import { foldGroups } from '../../../collector/slo/fold-groups.js';
import type { GroupStatus, SloStatus } from '../../../collector/slo/report.js';

const DayMs = 86_400_000;

function group(labels: Record<string, string>, minute: number, events: number, errors: number) {
  return {
    labels,
    sliRatio: 1 - errors / events,
    budget: { allowedErrors: 0, errors, remaining: 0 },
    windows: [{ window: '30d', windowMs: 30 * DayMs, events, errors }],
    tiers: [],
    alert: errors > 1 ? 'page' : 'none',
    lastEventAt: new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString(),
  } as unknown as GroupStatus;
}

function slo(groupBy: string[], groups: GroupStatus[]): SloStatus {
  return { groupBy, objective: 0.99, windowMs: 30 * DayMs, groups } as unknown as SloStatus;
}

describe('foldGroups', () => {
  it('folds Auto Scaling groups past the cap into one group, also without a version label', () => {
    const groups = ['a', 'b', 'c', 'd'].map((asg, i) => group({ asg }, i, 10, i));
    const out = foldGroups(slo(['asg'], groups), 2);
    expect(out.map((g) => g.labels)).toEqual([{ asg: 'c' }, { asg: 'd' }, { asg: 'other' }]);
    const other = out[2]!;
    expect(other.windows[0]).toMatchObject({ events: 20, errors: 1, errorRatio: 0.05 });
    expect(other.alert).toBe('none');
  });

  it('exports at most cap + 1 groups whatever the labels, the worst member alert on the fold', () => {
    const groups: GroupStatus[] = [];
    for (let i = 0; i < 30; i += 1) {
      groups.push(group({ ami_version: `v${i % 5}`, asg: `asg-${i}` }, i, 10, i % 3));
    }
    groups.push(group({ ami_version: 'unknown', asg: 'asg-x' }, 99, 5, 0));
    const out = foldGroups(slo(['ami_version', 'asg'], groups), 4);
    expect(out).toHaveLength(5);
    expect(out.slice(0, 4).map((g) => g.labels.asg)).toEqual([
      'asg-26',
      'asg-27',
      'asg-28',
      'asg-29',
    ]);
    expect(out[4]!.labels).toEqual({ ami_version: 'other', asg: 'other' });
    const total = (gs: GroupStatus[]) => gs.reduce((n, g) => n + g.windows[0]!.events, 0);
    expect(total(out)).toBe(total(groups));
    expect(out[4]!.alert).toBe('page');
  });

  it('leaves an SLO without groups as it is', () => {
    const fleet = [group({}, 0, 10, 0)];
    expect(foldGroups(slo([], fleet), 1)).toBe(fleet);
  });
});
